#!/usr/bin/python3
"""Writes a small random-weight XLM-RoBERTa-shaped encoder GGUF (bge-m3, multilingual-e5).

llama.cpp converts XLMRobertaModel checkpoints to the `bert` architecture: post-LN
blocks with separate q/k/v and biases, GELU feed-forward, absolute position
embeddings with RoBERTa's padding offset already cut off (row 0 is the first token),
one token type, and the SentencePiece unigram vocabulary as tokenizer.ggml.model
"t5" (precompiled charsmap, <s> ... </s>). This script copies every tokenizer.*
key of a vocab-only GGUF byte for byte (e.g. ../shared's ggml-vocab-nomic-bert-moe,
an XLM-R vocabulary of 250,048 pieces) and adds random weights, so the engine's
bert path can be run end to end on a multilingual vocabulary without downloading
any model. The outputs are random; only their shapes and determinism mean anything.

Usage: /usr/bin/python3 make_xlmr_gguf.py VOCAB.gguf OUT.gguf [--dim 64] [--layers 2]
       [--no-token-types] [--context-length N] [--seed 1]
"""
import argparse
import struct
import sys

import numpy as np

GGUF_ALIGNMENT = 32
GGML_F32, GGML_F16 = 0, 1
T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY, T_UINT64, \
    T_INT64, T_FLOAT64 = range(13)
SCALAR_SIZE = {T_UINT8: 1, T_INT8: 1, T_UINT16: 2, T_INT16: 2, T_UINT32: 4, T_INT32: 4, T_FLOAT32: 4,
               T_BOOL: 1, T_UINT64: 8, T_INT64: 8, T_FLOAT64: 8}


def skip_value(buf, pos, vtype):
    """Position just past a value of type vtype that starts at pos."""
    if vtype == T_STRING:
        (n,) = struct.unpack_from('<Q', buf, pos)
        return pos + 8 + n
    if vtype == T_ARRAY:
        etype, count = struct.unpack_from('<IQ', buf, pos)
        pos += 12
        if etype in SCALAR_SIZE:
            return pos + count * SCALAR_SIZE[etype]
        for _ in range(count):
            pos = skip_value(buf, pos, etype)
        return pos
    return pos + SCALAR_SIZE[vtype]


def read_kv_raw(path):
    """{key: (vtype, raw value bytes)} of a GGUF's metadata, and the token count."""
    with open(path, 'rb') as f:
        buf = f.read()
    if buf[:4] != b'GGUF':
        raise ValueError(path + ': not a GGUF file')
    _version, _n_tensors, n_kv = struct.unpack_from('<IQQ', buf, 4)
    pos = 24
    kv = {}
    for _ in range(n_kv):
        (n,) = struct.unpack_from('<Q', buf, pos)
        key = buf[pos + 8:pos + 8 + n].decode('utf-8')
        pos += 8 + n
        (vtype,) = struct.unpack_from('<I', buf, pos)
        pos += 4
        end = skip_value(buf, pos, vtype)
        kv[key] = (vtype, buf[pos:end])
        pos = end
    vtype, raw = kv['tokenizer.ggml.tokens']
    _etype, n_tokens = struct.unpack_from('<IQ', raw, 0)
    return kv, n_tokens


def gguf_string(s):
    b = s.encode('utf-8')
    return struct.pack('<Q', len(b)) + b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('vocab')
    ap.add_argument('output')
    ap.add_argument('--dim', type=int, default=64)
    ap.add_argument('--layers', type=int, default=2)
    ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--ctx', type=int, default=128)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--no-token-types', action='store_true', help='leave token_types.weight out')
    ap.add_argument('--context-length', type=int, default=0,
                    help='bert.context_length to write (default: --ctx, the position table\'s rows)')
    args = ap.parse_args()

    vocab_kv, n_vocab = read_kv_raw(args.vocab)
    if not vocab_kv.get('tokenizer.ggml.model', (0, b''))[1].endswith(b't5'):
        print('warning: the vocabulary is not a t5/unigram one', file=sys.stderr)
    E, L, H, C, F = args.dim, args.layers, args.heads, args.ctx, 4 * args.dim
    rng = np.random.default_rng(args.seed)

    # (name, array [rows][cols] as the engine reads it, ggml type)
    tensors = []

    def mat(name, rows, cols, std=0.1, ggml_type=GGML_F32):
        tensors.append((name, rng.normal(0, std, (rows, cols)).astype(np.float32), ggml_type))

    def vec(name, n, mean=0.0, std=0.02):
        tensors.append((name, (mean + rng.normal(0, std, n)).astype(np.float32), GGML_F32))

    mat('token_embd.weight', n_vocab, E, 0.5, GGML_F16)  # 250k rows: F16 halves the file
    if not args.no_token_types:
        mat('token_types.weight', 1, E, 0.1)
    mat('position_embd.weight', C, E, 0.1)
    vec('token_embd_norm.weight', E, 1.0, 0.05)
    vec('token_embd_norm.bias', E)
    for l in range(L):
        p = 'blk.%d.' % l
        for t in ('attn_q', 'attn_k', 'attn_v', 'attn_output'):
            mat(p + t + '.weight', E, E)
            vec(p + t + '.bias', E)
        vec(p + 'attn_output_norm.weight', E, 1.0, 0.05)
        vec(p + 'attn_output_norm.bias', E)
        mat(p + 'ffn_up.weight', F, E)
        vec(p + 'ffn_up.bias', F)
        mat(p + 'ffn_down.weight', E, F)
        vec(p + 'ffn_down.bias', E)
        vec(p + 'layer_output_norm.weight', E, 1.0, 0.05)
        vec(p + 'layer_output_norm.bias', E)

    A = 'bert.'
    kv = [
        ('general.architecture', T_STRING, gguf_string('bert')),
        ('general.name', T_STRING, gguf_string('xlm-roberta test encoder (random, seed %d)' % args.seed)),
        (A + 'context_length', T_UINT32, struct.pack('<I', args.context_length or C)),
        (A + 'embedding_length', T_UINT32, struct.pack('<I', E)),
        (A + 'feed_forward_length', T_UINT32, struct.pack('<I', F)),
        (A + 'block_count', T_UINT32, struct.pack('<I', L)),
        (A + 'attention.head_count', T_UINT32, struct.pack('<I', H)),
        (A + 'attention.layer_norm_epsilon', T_FLOAT32, struct.pack('<f', 1e-5)),
        (A + 'attention.causal', T_BOOL, struct.pack('<B', 0)),
        (A + 'pooling_type', T_UINT32, struct.pack('<I', 2)),  # CLS, as bge-m3
    ]
    kv += [(k, vt, raw) for k, (vt, raw) in vocab_kv.items() if k.startswith('tokenizer.')]

    with open(args.output, 'wb') as out:
        out.write(b'GGUF' + struct.pack('<IQQ', 3, len(tensors), len(kv)))
        for key, vtype, raw in kv:
            out.write(gguf_string(key) + struct.pack('<I', vtype) + raw)
        blobs, offset = [], 0
        for name, array, ggml_type in tensors:
            data = np.ascontiguousarray(array, dtype='<f2' if ggml_type == GGML_F16 else '<f4').tobytes()
            shape = list(reversed(array.shape))  # GGUF: ne[0] is the contiguous dimension
            out.write(gguf_string(name) + struct.pack('<I', len(shape)))
            out.write(b''.join(struct.pack('<Q', d) for d in shape))
            out.write(struct.pack('<IQ', ggml_type, offset))
            blobs.append(data)
            offset += len(data) + (-len(data)) % GGUF_ALIGNMENT
        out.write(b'\0' * ((-out.tell()) % GGUF_ALIGNMENT))
        for data in blobs:
            out.write(data)
            out.write(b'\0' * ((-out.tell()) % GGUF_ALIGNMENT))


if __name__ == '__main__':
    main()
