#!/usr/bin/env bash
# expect_error.sh REGEX COMMAND [ARGS...]: passes when COMMAND exits with a status
# from 1 to 127 (an error, not a crash or a signal) and its stderr matches REGEX
# (extended, case-sensitive). For "bad input gets a clear error" tests.
set -u
regex=$1
shift
err=$("$@" 2>&1 >/dev/null)
rc=$?
if [ "$rc" -eq 0 ]; then
  echo "FAIL: exited 0; expected an error matching /$regex/"; echo "$err"; exit 1
fi
if [ "$rc" -ge 128 ]; then
  echo "FAIL: crashed or was killed (status $rc)"; echo "$err"; exit 1
fi
if ! grep -Eq -- "$regex" <<<"$err"; then
  echo "FAIL: status $rc but stderr does not match /$regex/:"; echo "$err"; exit 1
fi
echo "ok: status $rc: $err"
