#!/usr/bin/env bash
# assistant-cli chat --remote against our own server in another process (a real HTTP
# hop): the same greedy answers as the local chat, and clear errors for a wrong key,
# an unknown model and a server that is not there.
#   cli_chat_remote_test.sh ASSISTANT_CLI MODEL.gguf
set -u
cli=$1 model=$2
tmp=$(mktemp -d)
server=""
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/serve_helper.sh"
start_server "$cli" "$model" "$tmp" --api-key k-right || exit 1
fail=0
questions=$'Once upon a time\nTell me about the cat\n'
printf '%s' "$questions" | "$cli" chat -m "$model" -n 24 --temp 0 >"$tmp/local" 2>/dev/null
printf '%s' "$questions" | "$cli" chat --remote "$url/v1" --api-key k-right -n 24 --temp 0 >"$tmp/remote" 2>"$tmp/err" ||
  { echo "FAIL: chat --remote exited $?"; cat "$tmp/err"; fail=1; }
cmp -s "$tmp/local" "$tmp/remote" || { echo "FAIL: remote answers differ"; diff "$tmp/local" "$tmp/remote"; fail=1; }
grep -q "sent to that server" "$tmp/err" || { echo "FAIL: no word that messages leave the machine"; fail=1; }
check_error() {  # REGEX ARGS...
  local want=$1; shift
  if printf 'hi\n' | "$cli" chat "$@" >/dev/null 2>"$tmp/err" || ! grep -Eq "$want" "$tmp/err"; then
    echo "FAIL: chat $* should fail with /$want/"; cat "$tmp/err"; fail=1
  fi
}
check_error "HTTP 401: invalid API key" --remote "$url/v1" --api-key wrong
check_error "has no model 'llama3'" --remote "$url/v1" --api-key k-right -m llama3
check_error "cannot reach" --remote "http://127.0.0.1:9/v1"
check_error "not an http" --remote "ftp://example.org/v1"
[ $fail -eq 0 ] && echo "ok: chat --remote"
exit $fail
