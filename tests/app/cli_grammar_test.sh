#!/usr/bin/env bash
# assistant-cli generate --grammar-file / --json-schema, as a user runs them:
#   cli_grammar_test.sh ASSISTANT_CLI MODEL.gguf
# the demo (story) model answers with a word the grammar allows and with JSON valid
# against a schema (checked by the system python3's json module), greedy and seeded;
# bad grammars and schemas are clear errors with exit status 2. (generate echoes the
# prompt first, as llama.cpp does: the answer is what follows it.)
set -u
cli=$1 model=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
printf 'root ::= "yes" | "no" | "maybe"\n' >"$tmp/choice.gbnf"
out=$("$cli" generate -m "$model" -p "Lily said" --temp 0 --grammar-file "$tmp/choice.gbnf" 2>/dev/null)
case "${out#Lily said}" in yes|no|maybe) ;; *) echo "FAIL: --grammar-file gave '$out'"; fail=1 ;; esac

cat >"$tmp/schema.json" <<'JSON'
{"type": "object", "additionalProperties": false, "required": ["name", "age", "colors"],
 "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 10},
                "age": {"type": "integer", "minimum": 3, "maximum": 12},
                "colors": {"type": "array", "items": {"enum": ["red", "blue", "green"]}, "minItems": 1, "maxItems": 2}}}
JSON
check='import json, sys
text = open(sys.argv[1]).read()
assert text.startswith(sys.argv[2]), text
v = json.loads(text[len(sys.argv[2]):])
assert set(v) == {"name", "age", "colors"}, v
assert isinstance(v["name"], str) and 1 <= len(v["name"]) <= 10, v
assert isinstance(v["age"], int) and 3 <= v["age"] <= 12, v
assert 1 <= len(v["colors"]) <= 2 and all(c in ("red", "blue", "green") for c in v["colors"]), v'
for sampling in "--temp 0" "--temp 0.8 --seed 3" "--temp 1.2 --seed 9"; do
  # shellcheck disable=SC2086
  "$cli" generate -m "$model" -p "Once upon a time" -n 200 $sampling --json-schema "$tmp/schema.json" >"$tmp/out.json" 2>/dev/null ||
    { echo "FAIL: --json-schema run ($sampling)"; fail=1; }
  /usr/bin/python3 -c "$check" "$tmp/out.json" "Once upon a time" || { echo "FAIL: not valid against the schema ($sampling):"; cat "$tmp/out.json"; fail=1; }
done
# The schema inline, and the draft on: the same text as from the file without it.
"$cli" generate -m "$model" -p "Once upon a time" -n 200 --temp 0 --json-schema "$(cat "$tmp/schema.json")" --draft prompt-lookup \
  >"$tmp/inline.json" 2>/dev/null || { echo "FAIL: inline --json-schema"; fail=1; }
"$cli" generate -m "$model" -p "Once upon a time" -n 200 --temp 0 --json-schema "$tmp/schema.json" >"$tmp/file.json" 2>/dev/null
cmp -s "$tmp/inline.json" "$tmp/file.json" || { echo "FAIL: inline schema + draft differs"; fail=1; }

printf 'root ::= "a" |\nbad ::= ( "b"\n' >"$tmp/bad.gbnf"
"$cli" generate -m "$model" -p x --grammar-file "$tmp/bad.gbnf" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "line 3, column 1: expected ')'" "$tmp/err" || { echo "FAIL: bad grammar:"; cat "$tmp/err"; fail=1; }
"$cli" generate -m "$model" -p x --json-schema '{"type":"integer","minimum":5,"maximum":1}' >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "no integer lies between" "$tmp/err" || { echo "FAIL: bad schema:"; cat "$tmp/err"; fail=1; }
[ $fail -eq 0 ] && echo "ok: --grammar-file and --json-schema hold the demo model to them"
exit $fail
