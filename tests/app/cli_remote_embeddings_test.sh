#!/usr/bin/env bash
# index/search/ask --remote-embeddings against our own server in another process (a real
# HTTP hop) serving the shipped USE-Lite embedder: the remote vectors rank the documents
# as the local ones do, the index records which embedder built it and refuses another
# (index, search and ask) until --replace-embeddings, and a wrong key, an unknown model
# and a server that went away are clear errors.
#   cli_remote_embeddings_test.sh ASSISTANT_CLI MODEL.gguf
set -u
cli=$1 model=$2
embedder=$(dirname "$model")/use-lite.gguf
tmp=$(mktemp -d)
server=""
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/serve_helper.sh"
SERVE_EMBEDDER=$embedder start_server "$cli" "$model" "$tmp" --api-key k-right || exit 1
mkdir "$tmp/docs"
echo "Zebras have black and white stripes and sleep standing up." >"$tmp/docs/zebra.txt"
echo "The first train to the harbour leaves at six in the morning." >"$tmp/docs/train.txt"
echo "Bake the bread in a hot oven until the crust is golden brown." >"$tmp/docs/bread.txt"
fail=0
remote=(--remote-embeddings "$url/v1" --api-key k-right)
expect_ok() {  # NAME ARGS...
  local name=$1; shift
  "$cli" "$@" >"$tmp/out" 2>"$tmp/err" || { echo "FAIL: $name exited $?"; cat "$tmp/err"; fail=1; }
}
expect_error() {  # REGEX ARGS...
  local want=$1; shift
  if "$cli" "$@" >"$tmp/out" 2>"$tmp/err" || ! grep -Eq "$want" "$tmp/err"; then
    echo "FAIL: $* should fail with /$want/"; cat "$tmp/err"; fail=1
  fi
}

expect_ok "index --remote-embeddings" index "$tmp/docs" --db "$tmp/remote.db" "${remote[@]}"
grep -q "the texts to embed are sent to that server" "$tmp/err" || { echo "FAIL: no word that the text leaves the machine"; fail=1; }
expect_ok "index (local)" index "$tmp/docs" --db "$tmp/local.db" --embedder "$embedder"
for q in "striped animal" "when does it depart" "baking"; do
  "$cli" search "$q" --mode dense --json --db "$tmp/local.db" --embedder "$embedder" >"$tmp/local.json" 2>/dev/null
  "$cli" search "$q" --mode dense --json --db "$tmp/remote.db" "${remote[@]}" >"$tmp/remote.json" 2>"$tmp/err"
  l=$(grep -o '"path":"[^"]*"' "$tmp/local.json" | tr '\n' ' ')
  r=$(grep -o '"path":"[^"]*"' "$tmp/remote.json" | tr '\n' ' ')
  [ -n "$l" ] && [ "$l" = "$r" ] || { echo "FAIL: '$q' ranks [$r] remotely, [$l] locally"; cat "$tmp/err"; fail=1; }
done
expect_ok "ask --remote-embeddings" ask "Which animal has stripes?" -m "$model" -n 8 --temp 0 --chunks-only \
  --db "$tmp/remote.db" "${remote[@]}"
grep -q "hybrid search" "$tmp/err" || { echo "FAIL: ask did not search the remote vectors"; cat "$tmp/err"; fail=1; }

# The index says who built it and refuses the other embedder.
mixed="holds 3 vectors from the remote model use-lite at $url/v1 .*cannot be mixed"
expect_error "$mixed" search "stripes" --db "$tmp/remote.db" --embedder "$embedder"
expect_error "$mixed" ask "stripes?" -m "$model" -n 4 --db "$tmp/remote.db"
expect_error "$mixed" index "$tmp/docs" --db "$tmp/remote.db"
grep -q -- "--replace-embeddings" "$tmp/err" || { echo "FAIL: no hint how to re-embed"; fail=1; }
expect_error "holds 3 vectors from the local model .*cannot be mixed" index "$tmp/docs" --db "$tmp/local.db" "${remote[@]}"
expect_ok "index --replace-embeddings" index "$tmp/docs" --db "$tmp/remote.db" --replace-embeddings
expect_ok "search after replacing" search "stripes" --mode dense --db "$tmp/remote.db"

expect_error "HTTP 401: invalid API key \(check the API key\)" index "$tmp/docs" --db "$tmp/x.db" \
  --remote-embeddings "$url/v1" --api-key wrong
expect_error "HTTP 404: the model 'nomic' does not exist" index "$tmp/docs" --db "$tmp/x.db" "${remote[@]}" --embedding-model nomic
expect_error "embeddings need an embedding model" search "x" --db "$tmp/x.db" "${remote[@]}" --embedding-model stories260K
expect_error "give --embedder FILE or --remote-embeddings URL, not both" index "$tmp/docs" --db "$tmp/x.db" "${remote[@]}" --embedder "$embedder"
kill $server; wait $server 2>/dev/null; server=""
expect_error "cannot reach $url/v1/embeddings" ask "stripes?" -m "$model" -n 4 --db "$tmp/local.db" "${remote[@]}"
[ $fail -eq 0 ] && echo "ok: --remote-embeddings"
exit $fail
