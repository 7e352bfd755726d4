#!/usr/bin/env bash
# assistant-cli ask as a user runs it:
#   cli_ask_test.sh ASSISTANT_CLI MODEL.gguf EMBEDDER.gguf
# - a document that fits the context goes in whole, and stderr says so;
# - --chunks-only searches hybrid with the embedder's vectors, BM25 in an index without them;
# - the sources are listed after the answer, with file and page;
# - --remote URL: retrieval here, the answer from our server in another process, the
#   same text and sources as the local answer.
set -u
cli=$1 model=$2 embedder=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
mkdir "$tmp/docs"
echo "Zebras have black and white stripes and sleep standing up." >"$tmp/docs/zebra.txt"
if ! "$cli" index "$tmp/docs" --db "$tmp/index.db" --embedder "$embedder" >"$tmp/out" 2>&1 ||
   ! "$cli" index "$tmp/docs" --db "$tmp/plain.db" --no-embed >>"$tmp/out" 2>&1; then
  echo "FAIL: index:"; cat "$tmp/out"; exit 1
fi

check() {  # NAME DB STDERR-REGEX ARGS...
  local name=$1 db=$2 regex=$3; shift 3
  "$cli" ask "How do zebras sleep?" -m "$model" --db "$db" -n 4 "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ $rc -ne 0 ] || ! grep -Eq -- "$regex" "$tmp/err" || ! grep -q 'zebra.txt, p. 1' "$tmp/out"; then
    echo "FAIL: $name: status $rc; stderr:"; cat "$tmp/err"; echo "stdout:"; cat "$tmp/out"; fail=1
  else
    echo "ok: $name: $(grep '^ask:' "$tmp/err")"
  fi
}
check "whole document" "$tmp/index.db" '^ask: whole document used: zebra.txt$' --embedder "$embedder"
check "hybrid chunks" "$tmp/index.db" '^ask: hybrid search \(BM25 \+ dense\)$' --embedder "$embedder" --chunks-only
check "bm25 chunks" "$tmp/plain.db" '^ask: BM25 search only: the index has no vectors from ' --embedder "$embedder" --chunks-only

server=""
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/serve_helper.sh"
start_server "$cli" "$model" "$tmp" || exit 1
"$cli" ask "How do zebras sleep?" -m "$model" --db "$tmp/index.db" -n 8 --temp 0 >"$tmp/local" 2>/dev/null
if ! "$cli" ask "How do zebras sleep?" --remote "$url/v1" --db "$tmp/index.db" -n 8 --temp 0 >"$tmp/remote" 2>"$tmp/err" ||
   ! cmp -s "$tmp/local" "$tmp/remote" || ! grep -q "sent to that server" "$tmp/err"; then
  echo "FAIL: ask --remote:"; cat "$tmp/err"; diff "$tmp/local" "$tmp/remote"; fail=1
else
  echo "ok: ask --remote gives the local answer and sources"
fi
exit $fail
