#!/usr/bin/env bash
# Fresh-machine check: clone this repository's HEAD into a temporary directory and run the README's
# first command there (`make run`, small sample), optionally the second one (`make test`).
# Nothing from this checkout's .venv/ or data/ is reused; only uv's download cache is (as on a laptop
# that installed anything before), which keeps venv creation fast.
#
#   .ci/fresh-clone.sh [--events N] [--worktree] [--with-test] [--keep]
#     --events N   synthetic events for `make run` (default 20000)
#     --worktree   also copy uncommitted (tracked and untracked, not ignored) files: check work in progress
#     --with-test  run `make test` in the clone too (slow: the whole CI)
#     --keep       keep the temporary clone (printed at the end)
set -euo pipefail

events=20000
worktree=0
with_test=0
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --events) events="${2:?--events needs a number}"; shift 2 ;;
    --worktree) worktree=1; shift ;;
    --with-test) with_test=1; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fresh-clone: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

src="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/caec-fresh.XXXXXX")"
cleanup() { if [ "$keep" = 0 ]; then rm -rf "$tmp"; else echo ">> kept the clone in $tmp/caec"; fi; }
trap cleanup EXIT

started=$(date +%s)
echo ">> cloning $src (HEAD $(git -C "$src" rev-parse --short HEAD)) into $tmp/caec"
git clone -q --no-local "$src" "$tmp/caec"
if [ "$worktree" = 1 ]; then
  echo ">> overlaying uncommitted files of the working tree"
  (cd "$src" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
     [ -e "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -cf -) | tar -xf - -C "$tmp/caec"
fi

cd "$tmp/caec"
echo ">> make run EVENTS=$events DAYS=3 (in the clone)"
make run EVENTS="$events" DAYS=3
test -s data/dashboard.html || { echo "fresh-clone: data/dashboard.html was not written" >&2; exit 1; }
test -s data/warehouse/caec.duckdb || { echo "fresh-clone: no DuckDB warehouse" >&2; exit 1; }
ls data/staging/manifests/*.json >/dev/null || { echo "fresh-clone: no run manifest" >&2; exit 1; }
if [ "$with_test" = 1 ]; then
  echo ">> make test (in the clone)"
  make test
fi
echo ">> fresh clone OK in $(( $(date +%s) - started ))s"
