#!/usr/bin/env bash
# assistant-cli chat --tools with the demo model: a forced call (--tool-choice NAME or
# required) is printed as "[tool call] NAME {JSON}" whose arguments parse and fit the
# tool's schema, its result (typed at the prompt or from --tool-results) goes back as a
# tool message and the model answers again, the next question goes on; tool choice none
# offers nothing; bad files and options are clear errors.
#   cli_chat_tools_test.sh ASSISTANT_CLI MODEL.gguf
set -u
cli=$1 model=$2
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
cat >"$tmp/tools.json" <<'JSON'
[{"type": "function", "function": {"name": "get_weather", "description": "The weather in a city",
  "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 12}},
                 "required": ["city"], "additionalProperties": false}}},
 {"type": "function", "function": {"name": "add", "description": "a + b",
  "parameters": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                 "required": ["a", "b"]}}}]
JSON
chat() { "$cli" chat -m "$model" --tools "$tmp/tools.json" -n 200 --temp 0 "$@" >"$tmp/out" 2>"$tmp/err"; }

# A named call, its result typed at the prompt, the answer after it, then a second question.
printf 'What is the weather in Paris?\n{"temp_c": 21}\nThank you\n/exit\n' | chat --tool-choice get_weather
calls=$(grep -c '^\[tool call\] get_weather {' "$tmp/out")
[ "$calls" -eq 2 ] || { echo "FAIL: expected a get_weather call for each question, got $calls"; cat "$tmp/out"; fail=1; }
grep '^\[tool call\] ' "$tmp/out" | sed 's/^\[tool call\] [a-z_]* //' >"$tmp/args"
$py - "$tmp/args" <<'PY' || fail=1
import json, sys
for line in open(sys.argv[1]):
    a = json.loads(line)
    if set(a) != {"city"} or not isinstance(a["city"], str) or len(a["city"]) > 12:
        print("FAIL: arguments outside the schema:", line.strip()); sys.exit(1)
PY
grep -q "result of call_1 get_weather" "$tmp/err" || { echo "FAIL: no prompt for call_1's result"; cat "$tmp/err"; fail=1; }
grep -q "result of call_2 get_weather" "$tmp/err" || { echo "FAIL: the second question's call was not asked for"; fail=1; }
# question 1: the call, then the answer after its result; question 2: a call again (forced).
stats=$(grep -o '\[[0-9]* tokens[^]]*\]' "$tmp/err" | wc -l)
with_calls=$(grep -c '1 tool call(s)\]' "$tmp/err")
[ "$stats" -eq 3 ] && [ "$with_calls" -eq 2 ] || { echo "FAIL: $stats answers ($with_calls with calls), expected 3 (2)"; cat "$tmp/err"; fail=1; }

# The result from a file; the context grows by the result (it went into the conversation).
echo '{"get_weather": {"temp_c": 21, "sky": "clear"}}' >"$tmp/short.json"
long=$($py -c 'import json; print(json.dumps({"get_weather": {"report": "sunny and warm " * 40}}))')
echo "$long" >"$tmp/long.json"
context_after() {  # RESULTS.json: the context used by the answer after the result
  printf 'Weather in Rome?\n' | chat --tool-choice get_weather --tool-results "$1"
  grep -o '\[[0-9]* tokens[^]]*\]' "$tmp/err" | sed -n 2p | grep -o 'context [0-9]*' | grep -o '[0-9]*'
}
short=$(context_after "$tmp/short.json")
grep -q '\[tool result call_1\] get_weather: {"temp_c":21,"sky":"clear"}' "$tmp/err" ||
  { echo "FAIL: the file's result was not used"; cat "$tmp/err"; fail=1; }
longer=$(context_after "$tmp/long.json")
[ -n "$short" ] && [ -n "$longer" ] && [ "$longer" -gt $((short + 100)) ] ||
  { echo "FAIL: the tool result did not reach the prompt (context $short vs $longer)"; fail=1; }

# required may call any tool; none offers none.
printf 'Add 2 and 3\n' | chat --tool-choice required --tool-results "$tmp/short.json"
grep -Eq '^\[tool call\] (get_weather|add) \{' "$tmp/out" || { echo "FAIL: required made no call"; cat "$tmp/out"; fail=1; }
printf 'Once upon a time\n' | chat --tool-choice none
grep -q 'tool call' "$tmp/out" && { echo "FAIL: tool choice none still called"; fail=1; }
grep -q 'tool call(s)' "$tmp/err" && { echo "FAIL: tool choice none still called"; fail=1; }

check_error() {  # REGEX ARGS...
  local want=$1; shift
  if echo hi | "$cli" chat -m "$model" -n 4 "$@" >/dev/null 2>"$tmp/err" || ! grep -Eq "$want" "$tmp/err"; then
    echo "FAIL: chat $* should fail with /$want/"; cat "$tmp/err"; fail=1
  fi
}
echo '[{"type": "function", "function": {"name": ""}}]' >"$tmp/bad.json"
check_error "cannot open $tmp/nope.json" --tools "$tmp/nope.json"
check_error "tools\[0\]\.function\.name must be a non-empty string" --tools "$tmp/bad.json"
check_error "expected OpenAI's tools array" --tools "$tmp/short.json"
check_error "must be auto, none, required or the name of a tool" --tools "$tmp/tools.json" --tool-choice mul
check_error "go with --tools" --tool-results "$tmp/short.json"
check_error "local model only" --tools "$tmp/tools.json" --remote http://127.0.0.1:9/v1
[ $fail -eq 0 ] && echo "ok: chat --tools"
exit $fail
