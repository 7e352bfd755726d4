#!/usr/bin/env python3
"""assistant-cli tokenize over every vocabulary file in ../shared/models/vocab.

Vocab-only GGUFs have no weights: tokenize must read only the tokenizer. Each file
must tokenize "Hello world" (and, where llama.cpp's X.gguf.inp/.out vectors exist, a
few of those cases must give the reference ids). A file named in
known_unsupported_vocabs.txt must instead fail with a clear UnsupportedTokenizer
error; a crash or any other failure fails the test.

Usage: cli_tokenize_vocab_test.py ASSISTANT_CLI VOCAB_DIR KNOWN_UNSUPPORTED_LIST
"""
import os
import subprocess
import sys
import tempfile

SEP = "\n__ggml_vocab_test__\n"
CASES_PER_VOCAB = 6


def read_known(path):
    names = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                names.add(line)
    return names


def reference_cases(gguf):
    """(text, ids) pairs of llama.cpp's vectors, or [] when the file has none."""
    if not (os.path.exists(gguf + ".inp") and os.path.exists(gguf + ".out")):
        return []
    with open(gguf + ".inp", encoding="utf-8", newline="") as f:
        texts = f.read().split(SEP)[:-1]
    with open(gguf + ".out", encoding="utf-8") as f:
        outs = [[int(x) for x in line.split()] for line in f.read().split("\n")[: len(texts)]]
    pairs = list(zip(texts, outs))
    # Spread the picks over the file: plain words, whitespace runs, emoji, CJK.
    step = max(1, len(pairs) // CASES_PER_VOCAB)
    return pairs[::step][:CASES_PER_VOCAB]


def run(cli, *args):
    return subprocess.run([cli, "tokenize", *args], capture_output=True, timeout=120)


def parse_ids(stdout):
    text = stdout.decode("utf-8").strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise ValueError(f"not an id list: {text!r}")
    return [int(x) for x in text[1:-1].split(",") if x.strip()]


def check_vocab(cli, gguf, unsupported):
    """An error message, or None when the vocab behaves."""
    r = run(cli, "-m", gguf, "--ids", "Hello world")
    err = r.stderr.decode("utf-8", "replace").strip()
    if r.returncode < 0 or r.returncode >= 128:
        return f"crashed (status {r.returncode}): {err}"
    if unsupported:
        if r.returncode == 0:
            return "tokenizes now: remove it from known_unsupported_vocabs.txt"
        if "UnsupportedTokenizer" not in err:
            return f"expected a clear UnsupportedTokenizer error, got status {r.returncode}: {err}"
        print(f"  known unsupported, clear error: {err}")
        return None
    if r.returncode != 0:
        return f"status {r.returncode}: {err}"
    try:
        ids = parse_ids(r.stdout)
    except ValueError as e:
        return str(e)
    if not ids:
        return "no ids for 'Hello world'"
    cases = reference_cases(gguf)
    with tempfile.TemporaryDirectory() as tmp:
        for n, (text, expected) in enumerate(cases):
            path = os.path.join(tmp, f"case{n}.txt")
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            r = run(cli, "-m", gguf, "--ids", "--no-bos", "-f", path)
            if r.returncode != 0:
                return f"case {text!r}: status {r.returncode}: {r.stderr.decode('utf-8', 'replace')}"
            got = parse_ids(r.stdout)
            if got != expected:
                return f"case {text!r}: expected {expected}, got {got}"
    print(f"  ok: 'Hello world' -> {ids}; {len(cases)} reference cases match")
    return None


def main():
    cli, vocab_dir, known_path = sys.argv[1:4]
    known = read_known(known_path)
    if not os.path.isdir(vocab_dir):
        if os.environ.get("CI") == "true":
            print(f"FAIL: missing test data: {vocab_dir}")
            return 1
        print(f"SKIP: missing test data: {vocab_dir}")
        return 77
    vocabs = sorted(f for f in os.listdir(vocab_dir) if f.startswith("ggml-vocab-") and f.endswith(".gguf"))
    names = {v[len("ggml-vocab-"):-len(".gguf")] for v in vocabs}
    failures = [f"{n}: listed as known unsupported but no such vocab file" for n in sorted(known - names)]
    for v in vocabs:
        name = v[len("ggml-vocab-"):-len(".gguf")]
        print(f"{name}:")
        why = check_vocab(cli, os.path.join(vocab_dir, v), name in known)
        if why:
            print(f"  FAIL: {why}")
            failures.append(f"{name}: {why}")
    if not vocabs:
        failures.append(f"no ggml-vocab-*.gguf in {vocab_dir}")
    print(f"{len(vocabs) - len(failures)}/{len(vocabs)} vocabularies pass")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
