# Sourced by the CLI tests that need our server in another process (a real HTTP hop):
#   start_server CLI MODEL DIR [serve options...]
# starts `CLI serve -m MODEL --port 0 --no-embedder [options]` with its output in DIR
# (with SERVE_EMBEDDER=FILE set: `--embedder FILE` instead of --no-embedder),
# waits until /health answers, and sets $server (the pid) and $url (http://127.0.0.1:P).
# The caller's EXIT trap must kill $server. Returns 1 (with the server's log) if it
# does not come up within 10 s.
start_server() {
  local cli=$1 model=$2 dir=$3
  shift 3
  local embedder=(--no-embedder)
  [ -n "${SERVE_EMBEDDER:-}" ] && embedder=(--embedder "$SERVE_EMBEDDER")
  "$cli" serve -m "$model" --port 0 "${embedder[@]}" "$@" >"$dir/serve.out" 2>"$dir/serve.err" &
  server=$!
  url=""
  for _ in $(seq 100); do
    url=$(grep -o 'http://[^ ]*' "$dir/serve.out" 2>/dev/null | head -1)
    [ -n "$url" ] && curl -sf "$url/health" >/dev/null && return 0
    sleep 0.1
  done
  echo "FAIL: the server did not start"; cat "$dir/serve.err"
  return 1
}
