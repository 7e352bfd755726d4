#!/usr/bin/env python3
"""Writes a random-weight BERT embedding model (general.architecture bert) of a real
encoder's shape, for embedding throughput on a device (bench_embed --device).

  make_bert_synth.py --preset bge-small|bert-base --vocab ggml-vocab-bert-bge.gguf
                     --gguf-min DIR --out OUT.gguf [--type f16|f32] [--seed N]

Shapes: bge-small 12 layers x 384 (12 heads, FFN 1536), bert-base (bge-base) 12 x 768
(12 heads, FFN 3072); both 512 positions, mean pooling, LayerNorm eps 1e-12. The
tokenizer.* keys are copied from the vocab file (30522 WordPiece tokens). Matrices are
N(0, std) in the chosen type, norm weights 1, biases N(0, 0.02) in F32.
"""
import argparse
import sys

import numpy as np

PRESETS = {"bge-small": dict(d=384, layers=12, heads=12, ff=1536, ctx=512),
           "bert-base": dict(d=768, layers=12, heads=12, ff=3072, ctx=512)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", choices=PRESETS, required=True)
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--gguf-min", required=True, help="folder with gguf_min.py")
    ap.add_argument("--out", required=True)
    ap.add_argument("--type", choices=["f16", "f32"], default="f16")
    ap.add_argument("--std", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    sys.path.insert(0, a.gguf_min)
    import gguf_min as g

    p = PRESETS[a.preset]
    d, ff, ctx = p["d"], p["ff"], p["ctx"]
    voc = g.GGUFFile(a.vocab)
    if voc.kv.get("tokenizer.ggml.model") != "bert":
        sys.exit("vocab must be a WordPiece ('bert') tokenizer")
    n_vocab = len(voc.kv["tokenizer.ggml.tokens"])
    w = g.GGUFWriter(a.out)
    w.add("general.architecture", "bert")
    w.add("general.name", "synthetic " + a.preset)
    w.add("bert.embedding_length", d, g.U32)
    w.add("bert.block_count", p["layers"], g.U32)
    w.add("bert.attention.head_count", p["heads"], g.U32)
    w.add("bert.feed_forward_length", ff, g.U32)
    w.add("bert.context_length", ctx, g.U32)
    w.add("bert.attention.layer_norm_epsilon", 1e-12, g.F32)
    w.add("bert.attention.causal", False, g.BOOL)
    w.add("bert.pooling_type", 1, g.U32)
    for key, value in voc.kv.items():
        if key.startswith("tokenizer."):
            vtype, etype = voc.kv_types[key]
            w.add(key, value, vtype, etype)
    mat = g.GGML_F16 if a.type == "f16" else g.GGML_F32
    plan = [("token_embd.weight", [d, n_vocab], "mat"), ("token_types.weight", [d, 2], "mat"),
            ("position_embd.weight", [d, ctx], "mat"), ("token_embd_norm.weight", [d], "one"),
            ("token_embd_norm.bias", [d], "bias")]
    for i in range(p["layers"]):
        b = f"blk.{i}."
        for t in ("attn_q", "attn_k", "attn_v", "attn_output"):
            plan += [(b + t + ".weight", [d, d], "mat"), (b + t + ".bias", [d], "bias")]
        plan += [(b + "attn_output_norm.weight", [d], "one"), (b + "attn_output_norm.bias", [d], "bias"),
                 (b + "ffn_up.weight", [d, ff], "mat"), (b + "ffn_up.bias", [ff], "bias"),
                 (b + "ffn_down.weight", [ff, d], "mat"), (b + "ffn_down.bias", [d], "bias"),
                 (b + "layer_output_norm.weight", [d], "one"), (b + "layer_output_norm.bias", [d], "bias")]
    for name, shape, kind in plan:
        w.add_tensor_info(name, shape, mat if kind == "mat" else g.GGML_F32)
    w.begin()
    rng = np.random.default_rng(a.seed)
    for name, shape, kind in plan:
        n = int(np.prod(shape))
        if kind == "mat":
            x = (rng.standard_normal(n, dtype=np.float32) * a.std).astype("<f2" if a.type == "f16" else "<f4")
        elif kind == "one":
            x = np.ones(n, dtype="<f4")
        else:
            x = (rng.standard_normal(n, dtype=np.float32) * 0.02).astype("<f4")
        w.write_tensor(x.tobytes())
    w.close()
    print(f"wrote {a.out}: {a.preset} {a.type}")


if __name__ == "__main__":
    main()
