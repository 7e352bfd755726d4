#!/usr/bin/env bash
# curl against `assistant-cli serve`: CORS preflight, the bearer token, malformed and
# oversized bodies, unknown models and endpoints, the queue limit (429) and a client
# that disconnects mid-stream (its generation stops: checked in GET /stats).
# usage: curl_test.sh ASSISTANT_CLI MODEL.gguf
set -u
CLI=$1
MODEL=$2
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
FAILS=0
KEY=sk-curl-test

fail() { echo "FAIL $1"; FAILS=$((FAILS + 1)); }
pass() { echo "ok   $1"; }

# start_server NAME ARGS... ; sets URL_<NAME> ... we keep one URL variable per call.
start_server() {
  local out=$WORK/server_$1.out
  shift
  "$CLI" serve -m "$MODEL" --port 0 "$@" >"$out" 2>"$out.err" &
  PIDS+=($!)
  for _ in $(seq 1 200); do
    URL=$(grep -o 'http://[^ ]*' "$out" 2>/dev/null | head -1)
    if [ -n "$URL" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/health")" = 200 ]; then return 0; fi
    sleep 0.05
  done
  echo "server did not start:"; cat "$out.err"; exit 1
}

# req NAME EXPECTED_STATUS BODY_REGEX CURL_ARGS... : status and body (headers with -i).
req() {
  local name=$1 want=$2 pattern=$3
  shift 3
  local body status
  body=$(curl -s --max-time 20 -w '\n%{http_code}' "$@")
  status=${body##*$'\n'}
  body=${body%$'\n'*}
  if [ "$status" != "$want" ]; then fail "$name: status $status, want $want; body: ${body:0:300}"; return; fi
  if ! grep -qiE -- "$pattern" <<<"$body"; then fail "$name: body/headers do not match /$pattern/: ${body:0:400}"; return; fi
  pass "$name"
}

start_server main --api-key "$KEY" --max-body 4096 --parallel 1 --queue 0
A=(-H "Authorization: Bearer $KEY")
J=(-H "Content-Type: application/json")
CHAT='{"messages":[{"role":"user","content":"Tell me a story."}],"max_tokens":8,"temperature":0}'

# --- token
req "health needs no token" 200 '"status":"ok"' "$URL/health"
req "models without a token: 401" 401 '"type":"authentication_error"' "$URL/v1/models"
req "models with a wrong token: 401" 401 'invalid API key' -H "Authorization: Bearer nope" "$URL/v1/models"
req "models with the token" 200 '"id":"stories260K"' "${A[@]}" "$URL/v1/models"
req "chat without a token: 401" 401 '"code":"invalid_api_key"' "${J[@]}" -d "$CHAT" "$URL/v1/chat/completions"

# --- CORS
req "preflight from a localhost page" 204 'access-control-allow-private-network: true' -i -X OPTIONS \
  -H "Origin: http://localhost:3000" -H "Access-Control-Request-Method: POST" \
  -H "Access-Control-Request-Headers: authorization,content-type" -H "Access-Control-Request-Private-Network: true" \
  "$URL/v1/chat/completions"
req "preflight echoes the origin" 204 'access-control-allow-origin: http://localhost:3000' -i -X OPTIONS \
  -H "Origin: http://localhost:3000" -H "Access-Control-Request-Method: POST" "$URL/v1/chat/completions"
req "preflight allows the asked headers" 204 'access-control-allow-headers: authorization,content-type' -i -X OPTIONS \
  -H "Origin: http://localhost:3000" -H "Access-Control-Request-Method: POST" \
  -H "Access-Control-Request-Headers: authorization,content-type" "$URL/v1/chat/completions"
req "preflight from an Office add-in host" 204 'access-control-allow-origin: https://contoso.officeapps.live.com' -i -X OPTIONS \
  -H "Origin: https://contoso.officeapps.live.com" -H "Access-Control-Request-Method: POST" "$URL/v1/embeddings"
req "preflight from a foreign site: 403" 403 'not allowed' -X OPTIONS \
  -H "Origin: https://evil.example" -H "Access-Control-Request-Method: POST" "$URL/v1/chat/completions"
req "GET from an allowed origin carries Allow-Origin" 200 'access-control-allow-origin: http://127.0.0.1:8080' -i \
  -H "Origin: http://127.0.0.1:8080" "${A[@]}" "$URL/v1/models"
req "POST from a foreign origin: 403" 403 'origin_not_allowed' -H "Origin: https://evil.example" "${A[@]}" \
  -H "Content-Type: text/plain" -d "$CHAT" "$URL/v1/chat/completions"

# --- bad input
req "malformed JSON: 400" 400 '"code":"invalid_json"' "${A[@]}" "${J[@]}" -d '{"messages": [' "$URL/v1/chat/completions"
req "JSON array body: 400" 400 'must be a JSON object' "${A[@]}" "${J[@]}" -d '[1,2]' "$URL/v1/chat/completions"
req "messages of the wrong type: 400" 400 '"param":"messages"' "${A[@]}" "${J[@]}" -d '{"messages":"hi"}' "$URL/v1/chat/completions"
req "temperature as a string: 400" 400 '"param":"temperature"' "${A[@]}" "${J[@]}" \
  -d '{"messages":[{"role":"user","content":"hi"}],"temperature":"hot"}' "$URL/v1/chat/completions"
req "max_tokens negative: 400" 400 '"param":"max_tokens"' "${A[@]}" "${J[@]}" \
  -d '{"prompt":"hi","max_tokens":-5}' "$URL/v1/completions"
req "unknown role: 400" 400 'unknown role' "${A[@]}" "${J[@]}" \
  -d '{"messages":[{"role":"wizard","content":"hi"}]}' "$URL/v1/chat/completions"
req "embeddings input of numbers: 400" 400 '"param":"input"' "${A[@]}" "${J[@]}" -d '{"input":[1,2,3]}' "$URL/v1/embeddings"
req "unknown model: 404" 404 '"code":"model_not_found"' "${A[@]}" "${J[@]}" \
  -d '{"model":"gpt-4","messages":[{"role":"user","content":"hi"}]}' "$URL/v1/chat/completions"
req "unknown endpoint: 404 JSON" 404 '"message":"unknown endpoint' "${A[@]}" "$URL/v1/nothing"
BIG=$(head -c 6000 /dev/zero | tr '\0' 'a')
req "oversized body: 413" 413 '"code":"body_too_large"' "${A[@]}" "${J[@]}" \
  -d "{\"prompt\":\"$BIG\"}" "$URL/v1/completions"
req "invalid UTF-8 in a string: 400" 400 'not valid JSON' "${A[@]}" "${J[@]}" \
  --data-binary $'{"prompt":"\xff\xfe"}' "$URL/v1/completions"

# --- answers
req "chat JSON" 200 '"finish_reason":"(stop|length)".*"object":"chat.completion"' "${A[@]}" "${J[@]}" -d "$CHAT" "$URL/v1/chat/completions"
req "chat SSE ends with [DONE]" 200 'data: \[DONE\]' -N "${A[@]}" "${J[@]}" \
  -d '{"messages":[{"role":"user","content":"hi"}],"max_tokens":8,"stream":true,"stream_options":{"include_usage":true}}' \
  "$URL/v1/chat/completions"
req "SSE usage chunk" 200 '"choices":\[\],.*"usage":\{"completion_tokens":8' -N "${A[@]}" "${J[@]}" \
  -d '{"messages":[{"role":"user","content":"hi"}],"max_tokens":8,"stream":true,"ignore_eos":true,"stream_options":{"include_usage":true}}' \
  "$URL/v1/chat/completions"
req "SSE content type" 200 'content-type: text/event-stream' -i -N "${A[@]}" "${J[@]}" \
  -d '{"prompt":"Zoo","max_tokens":4,"stream":true}' "$URL/v1/completions"

# --- a disconnecting client stops its generation (one slot, so /stats shows just this one)
stats() { curl -s "${A[@]}" "$URL/stats"; }
field() { grep -o "\"$1\":[0-9]*" | cut -d: -f2; }
before=$(stats)
LONG='{"prompt":"Once upon a time","max_tokens":1900,"ignore_eos":true,"stream":true}'
curl -s -N "${A[@]}" "${J[@]}" -d "$LONG" "$URL/v1/completions" | head -c 400 >/dev/null
for _ in $(seq 1 100); do
  [ "$(stats | field busy_slots)" = 0 ] && break
  sleep 0.05
done
after=$(stats)
cancelled=$(( $(field cancelled <<<"$after") - $(field cancelled <<<"$before") ))
generated=$(( $(field generated_tokens <<<"$after") - $(field generated_tokens <<<"$before") ))
if [ "$cancelled" = 1 ] && [ "$generated" -lt 1900 ]; then
  pass "disconnect cancels the generation ($generated of 1900 tokens)"
else
  fail "disconnect: cancelled +$cancelled (want 1), generated $generated tokens (want < 1900)"
fi

# --- a full queue: one slot, no queue -> the second concurrent request gets 429
curl -s -N "${A[@]}" "${J[@]}" -d '{"prompt":"Once upon a time","max_tokens":400,"ignore_eos":true,"stream":true}' \
  "$URL/v1/completions" >"$WORK/long.out" &
LONGPID=$!
for _ in $(seq 1 200); do grep -q 'data:' "$WORK/long.out" 2>/dev/null && break; sleep 0.01; done
req "busy beyond the queue: 429" 429 '"type":"rate_limit_error"' "${A[@]}" "${J[@]}" -d "$CHAT" "$URL/v1/chat/completions"
wait $LONGPID
grep -q 'data: \[DONE\]' "$WORK/long.out" && pass "the running stream still completes" || fail "the running stream did not complete"
req "still healthy after all that" 200 '"status":"ok"' "$URL/health"

# --- a model that cannot be loaded: a clear error and exit status 1
"$CLI" serve -m "$WORK/missing.gguf" --port 0 >"$WORK/missing.out" 2>&1
code=$?
if [ "$code" = 1 ] && grep -q 'missing.gguf' "$WORK/missing.out"; then pass "missing model: exit 1 with its path"; else fail "missing model: exit $code: $(cat "$WORK/missing.out")"; fi

echo "$FAILS failure(s)"
[ "$FAILS" = 0 ]
