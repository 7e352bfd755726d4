#!/usr/bin/env python3
"""Random-weight GGUF files in the shapes of dense Qwen3 and Phi-3 models, for throughput runs.

The shared generator (../shared/bench/make_synth_gguf.py) writes Llama and Qwen3-MoE shapes; this
one adds the dense architectures that differ in their tensors: qwen3 (per-head RMSNorm of q and k,
head size from attention.key_length) and phi3 (one fused QKV matrix, one fused gate|up matrix).
It uses the shared generator's block encoder and GGUF writer (passed with --shared-bench) and
fills each large matrix by repeating one random block of --tile-mb MiB (default 64), so a 8B file
is written in a couple of minutes. The tokenizer is the SPM vocabulary given with --vocab, padded
with placeholder tokens up to the preset's vocabulary size.

  bench/tools/make_dense_synth.py --shared-bench ../shared/bench --preset qwen3-8b --type q4_0 \
      --vocab ../shared/models/vocab/ggml-vocab-llama-spm.gguf --out /tmp/qwen3-8b-q4_0.gguf
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

PRESETS = {
    # Qwen3-8B: 36 layers, 4096 wide, 32 query heads and 8 KV heads of 128, FFN 12288.
    "qwen3-8b": dict(arch="qwen3", n_embd=4096, n_layer=36, n_head=32, n_head_kv=8, head_dim=128,
                     n_ff=12288, n_vocab=151936, n_ctx=40960, rope_theta=1000000.0, eps=1e-6,
                     tied=False),
    # Qwen3-1.7B: 28 layers, 2048 wide, 16 / 8 heads of 128, FFN 6144, tied embeddings.
    "qwen3-1.7b": dict(arch="qwen3", n_embd=2048, n_layer=28, n_head=16, n_head_kv=8, head_dim=128,
                       n_ff=6144, n_vocab=151936, n_ctx=40960, rope_theta=1000000.0, eps=1e-6,
                       tied=True),
    # Phi-3-mini-4k: 32 layers, 3072 wide, 32 heads of 96 (no GQA), FFN 8192, plain RoPE.
    "phi3-mini": dict(arch="phi3", n_embd=3072, n_layer=32, n_head=32, n_head_kv=32, head_dim=96,
                      n_ff=8192, n_vocab=32064, n_ctx=4096, rope_theta=10000.0, eps=1e-5,
                      tied=False),
}


def tensor_plan(p: dict) -> list[tuple[str, list[int], str]]:
    """(name, GGUF shape [cols, rows] or [n], kind): kind "mat" = weight type, "norm" = F32 ones."""
    d, hd, ff = p["n_embd"], p["head_dim"], p["n_ff"]
    q_rows, kv_rows = p["n_head"] * hd, p["n_head_kv"] * hd
    plan = [("token_embd.weight", [d, p["n_vocab"]], "mat")]
    for i in range(p["n_layer"]):
        b = f"blk.{i}."
        plan.append((b + "attn_norm.weight", [d], "norm"))
        if p["arch"] == "phi3":
            plan.append((b + "attn_qkv.weight", [d, q_rows + 2 * kv_rows], "mat"))
        else:
            plan += [(b + "attn_q.weight", [d, q_rows], "mat"),
                     (b + "attn_k.weight", [d, kv_rows], "mat"),
                     (b + "attn_v.weight", [d, kv_rows], "mat"),
                     (b + "attn_q_norm.weight", [hd], "norm"),
                     (b + "attn_k_norm.weight", [hd], "norm")]
        plan += [(b + "attn_output.weight", [q_rows, d], "mat"),
                 (b + "ffn_norm.weight", [d], "norm")]
        if p["arch"] == "phi3":
            plan.append((b + "ffn_up.weight", [d, 2 * ff], "mat"))  # gate rows, then up rows
        else:
            plan += [(b + "ffn_gate.weight", [d, ff], "mat"), (b + "ffn_up.weight", [d, ff], "mat")]
        plan.append((b + "ffn_down.weight", [ff, d], "mat"))
    plan.append(("output_norm.weight", [d], "norm"))
    if not p["tied"]:
        plan.append(("output.weight", [d, p["n_vocab"]], "mat"))
    return plan


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared-bench", required=True, help="folder with make_synth_gguf.py and gguf_min.py")
    ap.add_argument("--preset", choices=sorted(PRESETS), required=True)
    ap.add_argument("--type", choices=["f16", "q8_0", "q4_0"], default="q4_0")
    ap.add_argument("--vocab", required=True, help="vocab-only GGUF with an SPM ('llama') tokenizer")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--std", type=float, default=0.02)
    ap.add_argument("--tile-mb", type=int, default=64)
    a = ap.parse_args()
    sys.path.insert(0, os.path.abspath(a.shared_bench))
    import gguf_min as g  # noqa: E402
    import make_synth_gguf as synth  # noqa: E402

    p = PRESETS[a.preset]
    arch, d, hd = p["arch"], p["n_embd"], p["head_dim"]
    voc = g.GGUFFile(a.vocab)
    if voc.kv.get("tokenizer.ggml.model") != "llama":
        sys.exit("error: --vocab must hold an SPM ('llama') tokenizer")
    tokens = list(voc.kv["tokenizer.ggml.tokens"])
    scores = [float(s) for s in voc.kv["tokenizer.ggml.scores"]]
    types = [int(t) for t in voc.kv["tokenizer.ggml.token_type"]]
    for i in range(len(tokens), p["n_vocab"]):
        tokens.append(f"<synth_unused_{i}>")
        scores.append(-1e9)
        types.append(5)

    w = g.GGUFWriter(a.out)
    w.add("general.architecture", arch)
    w.add("general.name", f"synth-{a.preset}")
    w.add("general.file_type", synth.FILE_TYPE[a.type])
    for k, v in [("context_length", p["n_ctx"]), ("embedding_length", d), ("block_count", p["n_layer"]),
                 ("feed_forward_length", p["n_ff"]), ("attention.head_count", p["n_head"]),
                 ("attention.head_count_kv", p["n_head_kv"]), ("rope.dimension_count", hd),
                 ("attention.key_length", hd), ("attention.value_length", hd),
                 ("vocab_size", p["n_vocab"])]:
        w.add(f"{arch}.{k}", v)
    w.add(f"{arch}.rope.freq_base", float(p["rope_theta"]))
    w.add(f"{arch}.attention.layer_norm_rms_epsilon", float(p["eps"]))
    w.add("tokenizer.ggml.model", "llama")
    w.add("tokenizer.ggml.pre", voc.kv.get("tokenizer.ggml.pre", "default"))
    w.add("tokenizer.ggml.tokens", tokens, g.ARR, g.STR)
    w.add("tokenizer.ggml.scores", scores, g.ARR, g.F32)
    w.add("tokenizer.ggml.token_type", types, g.ARR, g.I32)
    for key in ("bos_token_id", "eos_token_id", "unknown_token_id"):
        if "tokenizer.ggml." + key in voc.kv:
            w.add("tokenizer.ggml." + key, int(voc.kv["tokenizer.ggml." + key]))
    w.add("tokenizer.ggml.add_bos_token", True)
    w.add("tokenizer.ggml.add_eos_token", False)

    plan = tensor_plan(p)
    for name, shape, kind in plan:
        w.add_tensor_info(name, shape, synth.TYPES[a.type] if kind == "mat" else g.GGML_F32)
    w.begin()
    rng = np.random.default_rng(a.seed)
    tile_n = a.tile_mb * (1 << 20) // 4 // (32 * d) * (32 * d)  # whole rows of the model's width
    tile = synth.encode((rng.standard_normal(tile_n, dtype=np.float32) * a.std).reshape(-1, d), a.type)
    t0, n_params = time.time(), 0
    for name, shape, kind in plan:
        n = int(np.prod(shape))
        n_params += n
        if kind == "norm":
            w.write_tensor(np.ones(n, dtype="<f4").tobytes())
            continue
        reps, rest = divmod(n, tile_n)
        tail = (synth.encode((rng.standard_normal(rest, dtype=np.float32) * a.std).reshape(-1, 32), a.type)
                if rest else b"")
        w.write_tensor(tile * reps + tail)
    w.close()
    print(f"wrote {a.out}: {a.preset} {a.type} params={n_params:,} in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
