# 信用XX — `make` lists the targets. Everything installs what it needs into .venv.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DATA   ?= data
OUT    ?= site
WORK   ?= build
PORT   ?= 8000
TODAY  ?=
RECORDS ?= 3000
SAMPLE_DIR := $(WORK)/sample-data
today_flag = $(if $(TODAY),--today $(TODAY),)
# The publication ledger never restarts silently: a build needs the previous one (in
# $(OUT)/downloads/ledger.csv, or LEDGER=file) or FIRST=1 for a first publication. The
# fictional demo drop is the exception: it starts a ledger by itself while $(OUT) holds
# none (and no copy a killed build left beside it), so `make build` works on a fresh clone.
FIRST  ?=
LEDGER ?=
out_backup = $(wildcard $(dir $(OUT)).$(notdir $(OUT)).*-old $(dir $(OUT)).$(notdir $(OUT)).*-new)
demo_first = $(if $(filter $(SAMPLE_DIR),$(data_dir)),$(if $(wildcard $(OUT)/downloads/ledger.csv)$(out_backup),,y))
ledger_flags = $(if $(LEDGER),--ledger $(LEDGER),)$(if $(FIRST)$(demo_first), --first-publication,)

.DEFAULT_GOAL := help
.PHONY: help venv sample check-data build site serve publish test lint types check fuzz bench clean screenshots demo-history

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP) ## create .venv and install the generator with its dev tools

# The demo: when data/ holds no data files, build from a fictional 示例市 drop.
data_dir = $(if $(shell find $(DATA) -type f \( -name '*.csv' -o -name '*.xls' -o -name '*.xlsx' \) 2>/dev/null | head -1),$(DATA),$(SAMPLE_DIR))

sample: $(STAMP) ## write a fictional 示例市 drop into build/sample-data (RECORDS=3000)
	$(PY) -m generator sample --records $(RECORDS) --out $(SAMPLE_DIR) $(today_flag)

check-data: $(STAMP) ## check the drop in data/ and print the report (nothing is built)
	$(PY) -m generator check --data $(DATA) $(today_flag)

build: $(STAMP) ## build from data/ (or the demo drop) into site/, report into build/report/ (FIRST=1: first publication)
	@if [ "$(data_dir)" = "$(SAMPLE_DIR)" ] && [ ! -d "$(SAMPLE_DIR)" ]; then $(MAKE) --no-print-directory sample; fi
	$(PY) -m generator build --data $(data_dir) --out $(OUT) --work $(WORK) $(today_flag) $(ledger_flags) || [ $$? -eq 1 ]

site: build ## build the demo site (alias of build)

serve: site ## build, then serve site/ on http://localhost:8000/
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory $(OUT)

publish: $(STAMP) ## deploy site/ where site.yml's publish: says (changed files only)
	$(PY) -m generator publish --site $(OUT) --work $(WORK)

test: $(STAMP) ## run the test suite
	$(PY) -m pytest -q -n 2

lint: $(STAMP) ## ruff lint and format check
	$(VENV)/bin/ruff check generator tests bench
	$(VENV)/bin/ruff format --check generator tests bench

types: $(STAMP) ## mypy on generator/
	$(VENV)/bin/mypy generator

check: lint types test ## lint, types and tests (what CI runs)

fuzz: $(STAMP) ## long property run over the loaders and the personal-data detector (minutes)
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q -p no:cacheprovider --hypothesis-show-statistics \
		tests/test_fuzz_load.py $(wildcard tests/test_pii.py)

bench: $(STAMP) ## run the benchmarks (prints figures; takes minutes)
	$(PY) bench/bench_check.py
	$(PY) bench/bench_render.py
	$(PY) bench/bench_export.py
	$(PY) bench/bench_search.py
	$(PY) bench/bench_publish.py
	$(PY) bench/bench_build.py
	$(PY) bench/bench_monitor.py

HISTORY := $(WORK)/history
demo-history: $(STAMP) ## 信用监测 demo: 52 weekly drops built in order into build/history/site (~10 min)
	$(PY) -m generator sample --weeks 52 --records $(RECORDS) --out $(HISTORY)/data $(today_flag)
	first=--first-publication; while IFS="$$(printf '\t')" read -r drop day; do \
	  echo "== $$drop ($$day)"; \
	  $(PY) -m generator build --data $(HISTORY)/data/$$drop --out $(HISTORY)/site --work $(HISTORY)/work --today $$day $$first >/dev/null || [ $$? -eq 1 ] || exit 1; \
	  first=; \
	done < $(HISTORY)/data/weeks.tsv
	@echo "信用监测：$(HISTORY)/site/jiance/index.html；报告：$(HISTORY)/work/report/index.html；通报草稿：$(HISTORY)/work/通报/"

screenshots: site ## PNGs of home, list, record, subject, search (phone, desktop) into screenshots/
	$(PY) scripts/screenshots.py $(OUT) screenshots

clean: ## remove built output (site/, build/)
	rm -rf $(OUT) $(WORK)
