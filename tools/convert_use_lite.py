#!/usr/bin/python3
"""Convert Universal Sentence Encoder Lite (TF.js graph model) to a GGUF file.

Input: a folder with model.json (graph + weightsManifest), its weight shards and
vocab.json (SentencePiece pieces and scores: [[piece, score], ...]), as published
for TF.js (e.g. ../shared/models/embedding/use-lite-energetic).
Output: GGUF v3, architecture "use-lite", run by inference/arch/use_lite.cpp.

What the graph computes (checked below, so a different graph is refused rather than
converted wrongly), for one sentence of n <= 128 token ids:

  x   = 2 * E[ids] + [sin(p * ts), cos(p * ts)]      E: [8002, 256], ts: [128], p = 0..n-1
        (the graph adds the embedding once directly and once inside AddTimingSignal)
  layer 0 (width 256 -> 512):
        r = Wres x + bres                              AdjustResidualInput dense 256 -> 512
        x = r + Wo0 . MHA(LN(x))                       4 heads of 64, q scaled by 1/8
        x = x + W2 relu(W1 LN(x) + b1) + b2            512 -> 1536 -> 512
  layer 1 (width 512):
        x = x + Wo1 . MHA(LN(x))                       4 heads of 128, q scaled by 1/sqrt(128)
        x = x + W2 relu(W1 LN(x) + b1) + b2
  v   = tanh(Wout mean_over_tokens(x) + bout);  out = v / sqrt(max(|v|^2, 1e-12))

LN(x) = scale * (x - mean) / sqrt(var + 1e-6) + bias. No final norm after layer 1.
MHA: fused QKV projection (1x1 Conv2D, columns [q | k | v]), heads are consecutive
column blocks, softmax over all tokens of the sentence (padding masked), output
projection (1x1 Conv2D) with bias.

Tensors (GGUF shapes are [cols, rows]; matrices are [out][in] row-major):
  token_embd.weight [256, 8000]            F16 (rows 8000, 8001 of E are never indexed)
  position_timescales [128]                F32
  blk.0.residual_proj.{weight,bias}        [256, 512], [512]
  blk.N.attn_norm.{weight,bias}            [width]
  blk.N.attn_qkv.{weight,bias}             [width, 3*width], [3*width]
  blk.N.attn_output.{weight,bias}          [width, 512], [512]
  blk.N.ffn_norm.{weight,bias}             [512]
  blk.N.ffn_up.{weight,bias}               [512, 1536], [1536]
  blk.N.ffn_down.{weight,bias}             [1536, 512], [512]
  output.{weight,bias}                     [512, 512], [512]

Usage: convert_use_lite.py MODEL_DIR OUT.gguf [--type f16|q8_0]
The output is byte-for-byte reproducible (no timestamps).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

ENC = 'module_apply_default/Encoder_en/KonaTransformer/Encode/'
STACK = ENC + 'TransformerStack/'
GGUF_ALIGNMENT = 32
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
FILE_TYPE = {'f16': 1, 'q8_0': 7}


def fail(msg):
    sys.exit('convert_use_lite: ' + msg)


# ----------------------------------------------------------------------------
# TF.js model reading
# ----------------------------------------------------------------------------
def load_model(folder):
    with open(os.path.join(folder, 'model.json')) as f:
        model = json.load(f)
    weights = {}
    for group in model['weightsManifest']:
        blob = b''.join(open(os.path.join(folder, p), 'rb').read() for p in group['paths'])
        offset = 0
        for w in group['weights']:
            if 'quantization' in w:
                fail('quantized TF.js weights are not supported: ' + w['name'])
            dtype = {'float32': np.float32, 'int32': np.int32}.get(w['dtype'])
            if dtype is None:
                fail('unsupported weight dtype %s of %s' % (w['dtype'], w['name']))
            count = int(np.prod(w['shape'])) if w['shape'] else 1
            if offset + 4 * count > len(blob):
                fail('weight shards are shorter than the manifest says')
            weights[w['name']] = np.frombuffer(blob, dtype, count, offset).reshape(w['shape'])
            offset += 4 * count
        if offset != len(blob):
            fail('weight shards have %d bytes, the manifest describes %d' % (len(blob), offset))
    nodes = {n['name']: n for n in model['modelTopology']['node']}
    return nodes, weights


class Graph:
    def __init__(self, nodes, weights):
        self.nodes, self.weights = nodes, weights

    def w(self, name, shape=None):
        if name not in self.weights:
            fail('missing weight ' + name)
        v = self.weights[name]
        if shape is not None and list(v.shape) != list(shape):
            fail('weight %s has shape %s, expected %s' % (name, list(v.shape), list(shape)))
        return v

    def scalar(self, name):
        return float(self.w(name).reshape(-1)[0])

    def node(self, name):
        if name not in self.nodes:
            fail('the graph has no node ' + name)
        return self.nodes[name]

    def expect(self, name, op, inputs=None):
        n = self.node(name)
        if n['op'] != op:
            fail('node %s is %s, expected %s' % (name, n['op'], op))
        if inputs is not None and [i.split(':')[0] for i in n.get('input', [])] != inputs:
            fail('node %s has inputs %s, expected %s' % (name, n.get('input'), inputs))
        return n


def read_encoder(g):
    """Checks the graph's structure and returns the tensors and hyperparameters."""
    emb = g.w('module/Embeddings_en')
    n_emb_rows, d_in = emb.shape
    # Input embedding counted twice (see the module docstring).
    g.expect(STACK + 'Layer_0/add', 'Add',
             [ENC + 'Scatter/ScatterNd', STACK + 'Layer_0/AddTimingSignal/Scatter/ScatterNd'])
    g.expect(STACK + 'Layer_0/AddTimingSignal/add', 'Add',
             [STACK + 'Layer_0/AddTimingSignal/Gather/GatherNd',
              STACK + 'Layer_0/AddTimingSignal/TimingSignal/concat'])
    g.expect(STACK + 'Layer_0/AddTimingSignal/TimingSignal/concat', 'ConcatV2')
    timescales = g.w(STACK + 'Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1').reshape(-1)
    if 2 * timescales.size != d_in:
        fail('timing signal width %d != embedding width %d' % (2 * timescales.size, d_in))
    max_len = int(g.scalar('module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y'))
    eps = g.scalar(STACK + 'Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x')

    layers = []
    n_layer = 0
    while (ENC + 'Layer_%d/TransformerLayer/FFN/conv1/bias/ConcatPartitions/concat' % n_layer) in g.weights:
        n_layer += 1
    if n_layer == 0:
        fail('no transformer layers found')
    width = d_in
    for l in range(n_layer):
        P = ENC + 'Layer_%d/TransformerLayer/' % l
        S = STACK + 'Layer_%d/TransformerLayer/' % l
        L = {}
        g.expect(S + 'FFN/conv1/Relu', 'Relu')
        qkv = g.w('module/Encoder_en/KonaTransformer/Encode/Layer_%d/TransformerLayer/MultiheadAttention/'
                  'qkv_transform_single/kernel/part_0' % l)
        if qkv.shape[:3] != (1, 1, width) or qkv.shape[3] != 3 * width:
            fail('layer %d qkv kernel has shape %s' % (l, qkv.shape))
        split = g.w(S + 'MultiheadAttention/Const').tolist()
        if split != [width] * 3:
            fail('layer %d splits qkv as %s' % (l, split))
        # Heads: Reshape [batch, len, heads, headDim]; the shape constants may be shared
        # between layers, so read heads and headDim back from the Pack node.
        pack = g.node(S + 'MultiheadAttention/split_heads/split_last_dimension/Reshape/shape')
        heads = int(g.scalar(pack['input'][2]))
        head_dim = int(g.scalar(pack['input'][3]))
        if heads * head_dim != width:
            fail('layer %d: %d heads x %d != %d' % (l, heads, head_dim, width))
        q_scale = g.scalar(S + 'MultiheadAttention/mul/y')
        if abs(q_scale - head_dim ** -0.5) > 1e-6:
            fail('layer %d scales queries by %g, not 1/sqrt(%d)' % (l, q_scale, head_dim))
        out = g.w('module/Encoder_en/KonaTransformer/Encode/Layer_%d/TransformerLayer/MultiheadAttention/'
                  'output_transform_single/kernel/part_0' % l)
        d_model = out.shape[3]
        L['attn_norm.weight'] = g.w(P + 'layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat', [width])
        L['attn_norm.bias'] = g.w(P + 'layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat', [width])
        L['attn_qkv.weight'] = qkv[0, 0].T
        L['attn_qkv.bias'] = g.w(P + 'MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat', [3 * width])
        L['attn_output.weight'] = out[0, 0].T
        L['attn_output.bias'] = g.w(P + 'MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat', [d_model])
        if width != d_model:
            # AdjustResidualInput: a dense layer maps the un-normalized input to d_model.
            g.expect(S + 'AdjustResidualInput/dense/MatMul', 'MatMul')
            L['residual_proj.weight'] = g.w(P + 'dense/kernel/ConcatPartitions/concat', [width, d_model]).T
            L['residual_proj.bias'] = g.w(P + 'dense/bias/ConcatPartitions/concat', [d_model])
        up = g.w(S + 'FFN/conv1/Tensordot/Reshape_1')
        n_ff = up.shape[1]
        L['ffn_norm.weight'] = g.w(P + 'FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat', [d_model])
        L['ffn_norm.bias'] = g.w(P + 'FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat', [d_model])
        L['ffn_up.weight'] = g.w(S + 'FFN/conv1/Tensordot/Reshape_1', [d_model, n_ff]).T
        L['ffn_up.bias'] = g.w(P + 'FFN/conv1/bias/ConcatPartitions/concat', [n_ff])
        L['ffn_down.weight'] = g.w(S + 'FFN/conv2/Tensordot/Reshape_1', [n_ff, d_model]).T
        L['ffn_down.bias'] = g.w(P + 'FFN/conv2/bias/ConcatPartitions/concat', [d_model])
        layers.append((L, heads, n_ff))
        width = d_model

    heads = {h for _, h, _ in layers}
    n_ffs = {f for _, _, f in layers}
    if len(heads) != 1 or len(n_ffs) != 1:
        fail('layers differ in head count or feed-forward width')
    # Pooling: masked mean over tokens (Sum / max(length, 1)), then tanh dense and l2.
    g.expect('module_apply_default/Encoder_en/KonaTransformer/div', 'RealDiv')
    g.expect('module_apply_default/Encoder_en/hidden_layers/tanh_layer_0/Tanh', 'Tanh')
    g.expect('module_apply_default/Encoder_en/hidden_layers/l2_normalize', 'Mul')
    out_w = g.w('module/Encoder_en/hidden_layers/tanh_layer_0/weights', [width, width])
    out_b = g.w('module/Encoder_en/hidden_layers/tanh_layer_0/bias', [width])
    return {
        'emb': emb, 'timescales': timescales, 'max_len': max_len, 'eps': eps, 'layers': layers,
        'heads': heads.pop(), 'n_ff': n_ffs.pop(), 'd_model': width, 'd_in': d_in,
        'out_w': out_w.T, 'out_b': out_b,
    }


# ----------------------------------------------------------------------------
# GGUF writing
# ----------------------------------------------------------------------------
def gguf_string(s):
    b = s.encode('utf-8')
    return struct.pack('<Q', len(b)) + b


class GgufWriter:
    T_UINT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY, T_INT32 = 4, 6, 7, 8, 9, 5

    def __init__(self):
        self.kv = []
        self.tensors = []

    def add(self, key, vtype, value):
        self.kv.append((key, vtype, value))

    def add_tensor(self, name, array, ggml_type):
        self.tensors.append((name, array, ggml_type))

    @staticmethod
    def encode_value(vtype, value):
        if vtype == GgufWriter.T_UINT32:
            return struct.pack('<I', value)
        if vtype == GgufWriter.T_INT32:
            return struct.pack('<i', value)
        if vtype == GgufWriter.T_FLOAT32:
            return struct.pack('<f', value)
        if vtype == GgufWriter.T_BOOL:
            return struct.pack('<B', 1 if value else 0)
        if vtype == GgufWriter.T_STRING:
            return gguf_string(value)
        raise ValueError(vtype)

    @staticmethod
    def tensor_bytes(array, ggml_type):
        if ggml_type == GGML_F32:
            return np.ascontiguousarray(array, dtype='<f4').tobytes()
        if ggml_type == GGML_F16:
            return np.ascontiguousarray(array, dtype='<f2').tobytes()
        if ggml_type == GGML_Q8_0:
            x = np.ascontiguousarray(array, dtype=np.float32).reshape(-1, 32)
            amax = np.abs(x).max(axis=1)
            d = amax / 127.0
            inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0.0)
            q = np.round(x * inv[:, None]).astype(np.int8)
            out = np.zeros(x.shape[0], dtype=[('d', '<f2'), ('q', 'i1', 32)])
            out['d'] = d.astype(np.float16)
            out['q'] = q
            return out.tobytes()
        raise ValueError(ggml_type)

    def write(self, path):
        out = bytearray()
        out += b'GGUF' + struct.pack('<IQQ', 3, len(self.tensors), len(self.kv))
        for key, vtype, value in self.kv:
            out += gguf_string(key)
            if isinstance(vtype, tuple):  # array of (element type)
                out += struct.pack('<II', self.T_ARRAY, vtype[0]) + struct.pack('<Q', len(value))
                for v in value:
                    out += self.encode_value(vtype[0], v)
            else:
                out += struct.pack('<I', vtype) + self.encode_value(vtype, value)
        blobs = []
        offset = 0
        for name, array, ggml_type in self.tensors:
            data = self.tensor_bytes(array, ggml_type)
            shape = list(reversed(array.shape))  # GGUF: ne[0] is the contiguous dimension
            out += gguf_string(name) + struct.pack('<I', len(shape))
            for d in shape:
                out += struct.pack('<Q', d)
            out += struct.pack('<IQ', ggml_type, offset)
            blobs.append(data)
            offset += len(data)
            offset += (-offset) % GGUF_ALIGNMENT
        out += b'\0' * ((-len(out)) % GGUF_ALIGNMENT)
        for data in blobs:
            out += data
            out += b'\0' * ((-len(out)) % GGUF_ALIGNMENT)
        with open(path, 'wb') as f:
            f.write(out)
        return len(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('model_dir')
    ap.add_argument('output')
    ap.add_argument('--type', choices=sorted(FILE_TYPE), default='f16',
                    help='type of the weight matrices (norms, biases and timescales stay F32)')
    args = ap.parse_args()

    nodes, weights = load_model(args.model_dir)
    enc = read_encoder(Graph(nodes, weights))
    with open(os.path.join(args.model_dir, 'vocab.json')) as f:
        vocab = json.load(f)
    if not isinstance(vocab, list) or not all(isinstance(v, list) and len(v) == 2 for v in vocab):
        fail('vocab.json is not a list of [piece, score]')
    n_vocab = len(vocab)
    if n_vocab > enc['emb'].shape[0]:
        fail('vocab has %d pieces but the embedding only %d rows' % (n_vocab, enc['emb'].shape[0]))

    mtype = GGML_F16 if args.type == 'f16' else GGML_Q8_0
    w = GgufWriter()
    A = 'use-lite.'
    w.add('general.architecture', w.T_STRING, 'use-lite')
    w.add('general.name', w.T_STRING, 'Universal Sentence Encoder Lite')
    w.add('general.license', w.T_STRING, 'Apache-2.0')
    w.add('general.alignment', w.T_UINT32, GGUF_ALIGNMENT)
    w.add('general.file_type', w.T_UINT32, FILE_TYPE[args.type])
    w.add(A + 'context_length', w.T_UINT32, enc['max_len'])
    w.add(A + 'embedding_length', w.T_UINT32, enc['d_model'])
    w.add(A + 'token_embedding_length', w.T_UINT32, enc['d_in'])
    w.add(A + 'block_count', w.T_UINT32, len(enc['layers']))
    w.add(A + 'feed_forward_length', w.T_UINT32, enc['n_ff'])
    w.add(A + 'attention.head_count', w.T_UINT32, enc['heads'])
    w.add(A + 'attention.layer_norm_epsilon', w.T_FLOAT32, enc['eps'])
    w.add(A + 'token_embedding_scale', w.T_FLOAT32, 2.0)
    w.add(A + 'pooling_type', w.T_UINT32, 1)  # mean
    w.add(A + 'vocab_size', w.T_UINT32, n_vocab)
    # Tokenizer: SentencePiece unigram pieces with their log-probabilities, segmented
    # the way the TF.js tokenizer does it (inference/tokenizer/unigram_tokenizer.cpp).
    # Ids 0..5 are reserved (0 = unknown, 1 = <s>, 2 = </s>, 3..5 extra ids) and never
    # produced from text.
    types = [2 if i == 0 else 3 if i < 6 else 1 for i in range(n_vocab)]
    w.add('tokenizer.ggml.model', w.T_STRING, 'unigram')
    w.add('tokenizer.ggml.tokens', (w.T_STRING,), [p for p, _ in vocab])
    # A few pieces (':', '://', ':)', ...) have a null score; the TF.js tokenizer adds
    # it to numbers, where null counts as 0, so they are written as 0.
    w.add('tokenizer.ggml.scores', (w.T_FLOAT32,), [0.0 if s is None else float(s) for _, s in vocab])
    w.add('tokenizer.ggml.token_type', (w.T_INT32,), types)
    w.add('tokenizer.ggml.unknown_token_id', w.T_UINT32, 0)
    w.add('tokenizer.ggml.bos_token_id', w.T_UINT32, 1)
    w.add('tokenizer.ggml.eos_token_id', w.T_UINT32, 2)
    w.add('tokenizer.ggml.add_bos_token', w.T_BOOL, False)
    w.add('tokenizer.ggml.add_eos_token', w.T_BOOL, False)
    w.add('tokenizer.ggml.add_space_prefix', w.T_BOOL, True)

    w.add_tensor('token_embd.weight', enc['emb'][:n_vocab], mtype)
    w.add_tensor('position_timescales', enc['timescales'], GGML_F32)
    for l, (L, _, _) in enumerate(enc['layers']):
        for key in ('residual_proj', 'attn_norm', 'attn_qkv', 'attn_output', 'ffn_norm', 'ffn_up', 'ffn_down'):
            if key + '.weight' not in L:
                continue
            wt = L[key + '.weight']
            w.add_tensor('blk.%d.%s.weight' % (l, key), wt, GGML_F32 if wt.ndim == 1 else mtype)
            w.add_tensor('blk.%d.%s.bias' % (l, key), L[key + '.bias'], GGML_F32)
    w.add_tensor('output.weight', enc['out_w'], mtype)
    w.add_tensor('output.bias', enc['out_b'], GGML_F32)
    size = w.write(args.output)
    print('wrote %s: %d bytes, %d tensors, %d layers, vocab %d' % (args.output, size, len(w.tensors),
                                                                   len(enc['layers']), n_vocab))


if __name__ == '__main__':
    main()
