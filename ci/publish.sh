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
#   5  a takedown was not executed (撤下未执行): a withdrawal row names no record. The site
#      IS published — every other takedown applied, every plausible candidate withheld —
#      and the run then fails with 5 so that someone fixes the row (build/report/)
#   6  another build or publish holds the lock: nothing changed, run again later
#   70 unexpected internal error: nothing published; traceback in $WORK/crash.log
# Only 0, 1 and 5 publish; every other code stops here and is this script's exit code.
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
#   XY_FIRST_PUBLICATION=1  only for the very first publication (no ledger anywhere yet);
#               refused once a ledger exists, so history never restarts silently
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

# Stop unless the code is 0, 1 or 5: say why in Chinese, exit with that code. (5 publishes:
# holding back the whole drop would also hold back the takedowns it did apply.)
stop_unless_ok() {
  local rc=$1 stage=$2
  case "$rc" in
    0 | 1 | 5) return 0 ;;
    2) echo "未发布：${stage}时发现数据目录、配置或发布台账不可用（退出码 2），见上方说明。" >&2 ;;
    3) echo "未发布：安全检查拦截（退出码 3），原网站保持不变；见操作手册“安全检查拦截”。" >&2 ;;
    4) echo "发布失败（退出码 4）：线上网站保持原样或在下次发布时补齐；见操作手册“发布失败”。" >&2 ;;
    6) echo "未发布：另一个构建或发布正在进行（退出码 6），没有做任何改动；请稍后重试。" >&2 ;;
    70) echo "未发布：程序内部错误（退出码 70），网站、报告和台账保持原样；请把 $WORK/crash.log 发给维护人员。" >&2 ;;
    *) echo "未发布：${stage}以意外的退出码 $rc 结束，按失败处理。" >&2 ;;
  esac
  exit "$rc"
}

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
stop_unless_ok $? "检查数据"

step "取回上次的发布台账（ledger）"
mkdir -p "$WORK"
rm -f "$WORK/previous-ledger.csv"
gen publish "${target[@]}" --pull-ledger "$WORK/previous-ledger.csv"
rc=$?
[ "$rc" -eq 0 ] || { [ "$rc" -eq 1 ] && rc=70; stop_unless_ok "$rc" "取回发布台账"; }
ledger=()
[ -f "$WORK/previous-ledger.csv" ] && ledger=(--ledger "$WORK/previous-ledger.csv")
[ "${XY_FIRST_PUBLICATION:-0}" = 1 ] && ledger+=(--first-publication)

step "生成网站并安全检查（build + guard）"
gen build --data "$DATA" --out "$OUT" --work "$WORK" "${today[@]}" "${ledger[@]}"
rc=$?
if [ "$rc" -eq 2 ] && [ ! -f "$WORK/previous-ledger.csv" ] && [ "${XY_FIRST_PUBLICATION:-0}" != 1 ]; then
  echo "若这是第一次发布，请设置环境变量 XY_FIRST_PUBLICATION=1 后重新运行（见操作手册“发布台账”）。" >&2
fi
stop_unless_ok "$rc" "生成网站"

step "发布（publish）"
gen publish --site "$OUT" --work "$WORK" "${target[@]}"
prc=$?
# publish has no "rows rejected": anything but 0 is a failure (1 would be a defect).
[ "$prc" -eq 0 ] || { [ "$prc" -eq 1 ] && prc=70; stop_unless_ok "$prc" "发布"; }

if [ "$rc" -eq 1 ]; then
  echo "已发布，但有数据行被拒收：请按 $WORK/report/index.html 逐行修改后重新提交。" >&2
fi
if [ "$rc" -eq 5 ]; then
  echo "已发布（可执行的撤下均已执行，可疑记录已暂停公示），但有撤下请求未能执行（退出码 5）：" \
    "请按 $WORK/report/index.html “撤下未执行”一节处理后重新提交。" >&2
fi
exit "$rc"
