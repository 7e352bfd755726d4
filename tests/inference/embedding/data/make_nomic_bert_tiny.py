#!/usr/bin/python3
"""Writes nomic-bert-tiny.gguf and nomic-bert-tiny.json (expected outputs) here.

A tiny random nomic-bert (llama.cpp's tensor names and metadata keys) and a plain
numpy forward pass of the graph llama.cpp builds for it (build_bert with
LLM_ARCH_NOMIC_BERT): token + token-type-0 embedding, LayerNorm, then per layer
fused QKV (no bias), NeoX RoPE on q and k (position within the sequence, base from
rope.freq_base), softmax(q.k / sqrt(d)) over the whole sequence, output projection,
residual, LayerNorm; FFN down(silu(gate x) * up x), residual, LayerNorm; mean pooling,
L2 normalization. No llama.cpp run is involved: there is no nomic-bert fixture in
../shared/conformance, so this pins our engine to the published graph on a model
small enough to check by hand.

Usage: /usr/bin/python3 make_nomic_bert_tiny.py   (deterministic: seed 7)
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', '..', '..', 'tools'))
from convert_use_lite import GgufWriter, GGML_F32  # noqa: E402

E, H, L, F, CTX, BASE, EPS = 32, 4, 2, 64, 64, 1000.0, 1e-12
D = E // H
WORDS = ['the', 'cat', 'sat', 'on', 'mat', '.', 'a', 'dog', 'ran', 'far', 'away', 'from', 'home', 'and',
         'slept', 'under', 'tree', '##s', '##ing', 'big', 'red', 'ball', ',', 'it', 'was', 'fun']
# llama.cpp's BERT vocabularies mark word starts with U+2581 and drop the '##' of
# continuation pieces.
VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] + [w[2:] if w.startswith('##') else '\u2581' + w
                                                          for w in WORDS]
SEQS = [[2, 5, 6, 7, 8, 9, 10, 3], [2, 12, 3], [2] + [5 + (i * 7) % len(WORDS) for i in range(40)] + [3]]


def layer_norm(x, w, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + EPS) * w + b


def rope_neox(x, pos):
    # x: [heads, D]; pair i = (x[i], x[i + D/2]), angle pos * BASE^(-2i/D)
    half = D // 2
    theta = pos * BASE ** (-2.0 * np.arange(half) / D)
    c, s = np.cos(theta), np.sin(theta)
    a, b = x[:, :half].copy(), x[:, half:].copy()
    return np.concatenate([a * c - b * s, a * s + b * c], axis=1)


def forward(t, ids):
    x = t['token_embd.weight'][ids] + t['token_types.weight'][0]
    x = layer_norm(x, t['token_embd_norm.weight'], t['token_embd_norm.bias'])
    n = len(ids)
    for l in range(L):
        p = 'blk.%d.' % l
        qkv = x @ t[p + 'attn_qkv.weight'].T
        q, k, v = qkv[:, :E], qkv[:, E:2 * E], qkv[:, 2 * E:]
        q = np.stack([rope_neox(q[i].reshape(H, D), i).reshape(E) for i in range(n)])
        k = np.stack([rope_neox(k[i].reshape(H, D), i).reshape(E) for i in range(n)])
        out = np.zeros((n, E))
        for h in range(H):
            sl = slice(h * D, (h + 1) * D)
            s = q[:, sl] @ k[:, sl].T / np.sqrt(D)
            s = np.exp(s - s.max(1, keepdims=True))
            s /= s.sum(1, keepdims=True)
            out[:, sl] = s @ v[:, sl]
        x = layer_norm(out @ t[p + 'attn_output.weight'].T + x, t[p + 'attn_output_norm.weight'],
                       t[p + 'attn_output_norm.bias'])
        g = x @ t[p + 'ffn_gate.weight'].T
        u = x @ t[p + 'ffn_up.weight'].T
        y = (g / (1 + np.exp(-g)) * u) @ t[p + 'ffn_down.weight'].T
        x = layer_norm(y + x, t[p + 'layer_output_norm.weight'], t[p + 'layer_output_norm.bias'])
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled), x


def main():
    rng = np.random.default_rng(7)
    t = {}

    def mat(name, rows, cols, std=0.2):
        t[name] = rng.normal(0, std, (rows, cols)).astype(np.float32)

    def norm(name, n):
        t[name + '.weight'] = (1 + rng.normal(0, 0.1, n)).astype(np.float32)
        t[name + '.bias'] = rng.normal(0, 0.05, n).astype(np.float32)

    mat('token_embd.weight', len(VOCAB), E, 0.5)
    mat('token_types.weight', 2, E, 0.5)
    norm('token_embd_norm', E)
    for l in range(L):
        p = 'blk.%d.' % l
        mat(p + 'attn_qkv.weight', 3 * E, E)
        mat(p + 'attn_output.weight', E, E)
        norm(p + 'attn_output_norm', E)
        mat(p + 'ffn_up.weight', F, E)
        mat(p + 'ffn_gate.weight', F, E)
        mat(p + 'ffn_down.weight', E, F)
        norm(p + 'layer_output_norm', E)

    w = GgufWriter()
    A = 'nomic-bert.'
    w.add('general.architecture', w.T_STRING, 'nomic-bert')
    w.add('general.name', w.T_STRING, 'nomic-bert tiny test model seed 7')
    w.add(A + 'context_length', w.T_UINT32, CTX)
    w.add(A + 'embedding_length', w.T_UINT32, E)
    w.add(A + 'feed_forward_length', w.T_UINT32, F)
    w.add(A + 'block_count', w.T_UINT32, L)
    w.add(A + 'attention.head_count', w.T_UINT32, H)
    w.add(A + 'attention.layer_norm_epsilon', w.T_FLOAT32, EPS)
    w.add(A + 'attention.causal', w.T_BOOL, False)
    w.add(A + 'rope.freq_base', w.T_FLOAT32, BASE)
    w.add(A + 'pooling_type', w.T_UINT32, 1)
    w.add('tokenizer.ggml.model', w.T_STRING, 'bert')
    w.add('tokenizer.ggml.tokens', (w.T_STRING,), VOCAB)
    w.add('tokenizer.ggml.token_type', (w.T_INT32,), [3 if i < 5 and i != 1 else 2 if i == 1 else 1
                                                      for i in range(len(VOCAB))])
    w.add('tokenizer.ggml.unknown_token_id', w.T_UINT32, 1)
    w.add('tokenizer.ggml.padding_token_id', w.T_UINT32, 0)
    w.add('tokenizer.ggml.cls_token_id', w.T_UINT32, 2)
    w.add('tokenizer.ggml.seperator_token_id', w.T_UINT32, 3)
    for name, value in t.items():
        w.add_tensor(name, value if value.ndim == 2 else value, GGML_F32)
    w.write(os.path.join(HERE, 'nomic-bert-tiny.gguf'))

    t64 = {k: v.astype(np.float64) for k, v in t.items()}
    expected = {'sequences': SEQS, 'pooled_normalized': [], 'token_states': []}
    for ids in SEQS:
        pooled, states = forward(t64, ids)
        expected['pooled_normalized'].append([round(float(x), 8) for x in pooled])
        expected['token_states'].append([[round(float(x), 7) for x in row] for row in states])
    with open(os.path.join(HERE, 'nomic-bert-tiny.json'), 'w') as f:
        json.dump(expected, f)


if __name__ == '__main__':
    main()
