#!/usr/bin/env bash
# assistant-cli generate --draft prompt-lookup|FILE|self:TYPE, as a user runs it:
#   cli_draft_test.sh ASSISTANT_CLI MODEL.gguf
# the same text as without a draft (greedy and seeded sampling), a stats line with
# the drafted and accepted counts, and a clear error for a bad --draft (a missing file,
# a model with another vocabulary: the use-lite encoder beside the demo model).
set -u
cli=$1 model=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
prompt="Once upon a time, there was a little girl named Lily. She liked to play outside. One day, Lily"
for draft in prompt-lookup self:q4_0 "$model"; do
  for sampling in "--temp 0" "--temp 0.8 --seed 7"; do
    # shellcheck disable=SC2086
    "$cli" generate -m "$model" -p "$prompt" -n 120 $sampling >"$tmp/plain" 2>/dev/null || { echo "FAIL: plain run ($sampling)"; fail=1; }
    # shellcheck disable=SC2086
    "$cli" generate -m "$model" -p "$prompt" -n 120 $sampling --draft "$draft" >"$tmp/draft" 2>"$tmp/err" ||
      { echo "FAIL: draft run ($draft, $sampling)"; fail=1; }
    cmp -s "$tmp/plain" "$tmp/draft" || { echo "FAIL: --draft $draft changed the text ($sampling)"; diff "$tmp/plain" "$tmp/draft"; fail=1; }
    grep -Eq 'drafted [1-9][0-9]* tokens, [0-9]+ accepted \([0-9]+%\)' "$tmp/err" ||
      { echo "FAIL: no acceptance in the stats line ($draft, $sampling)"; cat "$tmp/err"; fail=1; }
  done
done
if "$cli" generate -m "$model" -p x --draft guess >/dev/null 2>"$tmp/err" || ! grep -q -- "--draft guess: cannot open 'guess'" "$tmp/err"; then
  echo "FAIL: a missing --draft file is not a clear error"; cat "$tmp/err"; fail=1
fi
other="$(dirname "$model")/use-lite.gguf"
if "$cli" generate -m "$model" -p x --draft "$other" >/dev/null 2>"$tmp/err" || ! grep -q "does not share the vocabulary" "$tmp/err"; then
  echo "FAIL: a draft with another vocabulary is not a clear error"; cat "$tmp/err"; fail=1
fi
if "$cli" generate -m "$model" -p x --draft self:q9 >/dev/null 2>"$tmp/err" || ! grep -q "unknown quantization type 'q9'" "$tmp/err"; then
  echo "FAIL: a bad self:TYPE is not a clear error"; cat "$tmp/err"; fail=1
fi
[ $fail -eq 0 ] && echo "ok: same text with and without --draft prompt-lookup, self:q4_0 and a draft file"
exit $fail
