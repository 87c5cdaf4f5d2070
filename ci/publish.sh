#!/usr/bin/env bash
# 信用XX — publish a data drop from any runner: Gitee Go, Jenkins, cron, or a clerk's PC.
# The GitLab and GitHub templates in this folder call this same script.
#
#   install (a venv from PyPI) → check → pull the last ledger from the live site → build
#   (the guard scans the new tree before it replaces site/) → publish (guard again, then
#   changed files only, in link order, to where site.yml's `publish:` says).
#
# Exit codes (also in README and docs/manual/):
#   0  published; no row rejected
#   1  published; some rows were rejected — they are listed in build/report/index.html
#   2  the data folder or site.yml is unusable: nothing built or published
#   3  the guard found something that must never be public: nothing replaced or published
#   4  the deploy failed: the live site is as it was (or converges on the next run)
#   5  a takedown was not executed (撤下未执行): a withdrawal row names no record; the site is
#      built without every candidate, but this is a failure: fix the row (build/report/)
#
# Settings (environment; all optional):
#   PYTHON      interpreter used to create the venv (python3)
#   XY_VENV     virtualenv folder (.venv); XY_SKIP_INSTALL=1 uses it as it is
#   XY_PIP_ARGS extra pip arguments, e.g. "-i https://mirrors.aliyun.com/pypi/simple/"
#   XY_CONFIG   site configuration (site.yml)
#   XY_DATA     data drop folder (data)
#   XY_OUT      public output (site); XY_WORK: private work folder with the report (build)
#   XY_TARGET, XY_DEST   override publish.target and its destination (see site.yml)
#   XY_TODAY    build date YYYY-MM-DD (default: today)
# Credentials never go in files: S3 keys come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
# rsync uses the runner's SSH key (see docs/manual/).
set -uo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${XY_VENV:-.venv}
CONFIG=${XY_CONFIG:-site.yml}
DATA=${XY_DATA:-data}
OUT=${XY_OUT:-site}
WORK=${XY_WORK:-build}
PY="$VENV/bin/python"

step() { printf '\n== %s ==\n' "$*"; }

if [ "${XY_SKIP_INSTALL:-0}" != 1 ]; then
  step "安装（install）"
  [ -x "$PY" ] || "$PYTHON" -m venv "$VENV" || exit 2
  # shellcheck disable=SC2086
  "$PY" -m pip install --quiet --disable-pip-version-check ${XY_PIP_ARGS:-} -e ".[s3]" || exit 2
fi

gen() { "$PY" -m generator --config "$CONFIG" "$@"; }
today=()
[ -n "${XY_TODAY:-}" ] && today=(--today "$XY_TODAY")
target=()
[ -n "${XY_TARGET:-}" ] && target+=(--target "$XY_TARGET")
[ -n "${XY_DEST:-}" ] && target+=(--dest "$XY_DEST")

step "检查数据（check）"
gen check --data "$DATA" "${today[@]}"
rc=$?
[ "$rc" -ge 2 ] && exit "$rc"

step "取回上次的发布台账（ledger）"
mkdir -p "$WORK"
rm -f "$WORK/previous-ledger.csv"
gen publish "${target[@]}" --pull-ledger "$WORK/previous-ledger.csv" || exit $?
ledger=()
[ -f "$WORK/previous-ledger.csv" ] && ledger=(--ledger "$WORK/previous-ledger.csv")

step "生成网站并安全检查（build + guard）"
gen build --data "$DATA" --out "$OUT" --work "$WORK" "${today[@]}" "${ledger[@]}"
rc=$?
[ "$rc" -ge 2 ] && exit "$rc"

step "发布（publish）"
gen publish --site "$OUT" --work "$WORK" "${target[@]}" || exit $?

if [ "$rc" -eq 1 ]; then
  echo "已发布，但有数据行被拒收：请按 $WORK/report/index.html 逐行修改后重新提交。" >&2
fi
exit "$rc"
