#!/usr/bin/env bash
# assistant-cli summarize at a small context, as a user runs it:
#   cli_summarize_test.sh ASSISTANT_CLI DOCUMENT.pdf
# - -c 512 summarizes the whole document (every section and reduce step fits the
#   context with its prompt), prints a non-empty summary and exits 0;
# - -n larger than the context allows, or -n 0, is a clear error (status 2), before
#   any indexing.
set -u
cli=$1 doc=$2
if [ ! -f "$doc" ]; then
  if [ "${CI:-}" = true ]; then echo "FAIL: missing test data: $doc"; exit 1; fi
  echo "SKIP: missing test data: $doc"; exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

"$cli" summarize "$doc" -c 512 --db "$tmp/index.db" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ] || ! grep -q '[^[:space:]]' "$tmp/out" || ! grep -Eq '[0-9]+ sections' "$tmp/err"; then
  echo "FAIL: -c 512: status $rc; stdout:"; cat "$tmp/out"; echo "stderr:"; tail -5 "$tmp/err"; fail=1
else
  echo "ok: -c 512: $(grep -E 'sections' "$tmp/err" | tail -1)"
fi

check_error() {  # NAME REGEX ARGS...
  local name=$1 regex=$2; shift 2
  "$cli" summarize "$doc" --db "$tmp/other.db" "$@" >/dev/null 2>"$tmp/err"
  local rc=$?
  if [ $rc -ne 2 ] || ! grep -Eq -- "$regex" "$tmp/err"; then
    echo "FAIL: $name: status $rc (want 2), stderr:"; cat "$tmp/err"; fail=1
  else
    echo "ok: $name: $(cat "$tmp/err")"
  fi
}
check_error "-n too long for -c 512" '600 tokens \(-n\) does not fit a 512-token context.*at most [0-9]+' -c 512 -n 600
check_error "-n 0" '-n must be a positive number' -c 512 -n 0
exit $fail
