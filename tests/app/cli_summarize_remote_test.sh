#!/usr/bin/env bash
# assistant-cli summarize --remote against our own server in another process: a
# document long enough for several sections at -c 512 is summarized by the server
# (map and reduce steps go there, the text is indexed here), a second run serves the
# section summaries from the cache, and a wrong key or a missing server are clear
# errors before any work.
#   cli_summarize_remote_test.sh ASSISTANT_CLI MODEL.gguf
set -u
cli=$1 model=$2
tmp=$(mktemp -d)
server=""
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/serve_helper.sh"
start_server "$cli" "$model" "$tmp" --api-key k-right || exit 1
for i in $(seq 40); do
  echo "Paragraph $i. Lily and her dog walked to the park, where they met a cat who liked to sing."
  echo
done >"$tmp/story.txt"
fail=0
run() { "$cli" summarize "$tmp/story.txt" --db "$tmp/index.db" -c 512 -n 48 --temp 0 "$@"; }
run --remote "$url/v1" --api-key k-right >"$tmp/out" 2>"$tmp/err"
rc=$?
sections=$(grep -Eo '[0-9]+ sections' "$tmp/err" | grep -Eo '[0-9]+')
if [ $rc -ne 0 ] || ! grep -q '[^[:space:]]' "$tmp/out" || [ "${sections:-0}" -lt 2 ]; then
  echo "FAIL: summarize --remote: status $rc, ${sections:-no} sections; stderr:"; tail -5 "$tmp/err"; fail=1
fi
grep -q "sent to that server" "$tmp/err" || { echo "FAIL: no word that the text leaves the machine"; fail=1; }
run --remote "$url/v1" --api-key k-right >"$tmp/out2" 2>"$tmp/err2"
grep -Eq "\(${sections:-x} from cache\)" "$tmp/err2" ||
  { echo "FAIL: the second run did not use the cache"; tail -3 "$tmp/err2"; fail=1; }
check_error() {  # REGEX ARGS...
  local want=$1; shift
  if run "$@" >/dev/null 2>"$tmp/err" || ! grep -Eq "$want" "$tmp/err"; then
    echo "FAIL: summarize $* should fail with /$want/"; cat "$tmp/err"; fail=1
  fi
}
check_error "HTTP 401: invalid API key" --remote "$url/v1" --api-key wrong
check_error "cannot reach" --remote "http://127.0.0.1:9/v1"
[ $fail -eq 0 ] && echo "ok: summarize --remote (${sections} sections)"
exit $fail
