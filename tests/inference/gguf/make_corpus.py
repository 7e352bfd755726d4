#!/usr/bin/env python3
"""Writes the GGUF seed/regression corpus into corpus/ (Python 3 stdlib only).

ok_*  files must parse, bad_* files must be rejected; gguf_corpus_runner checks both.
Every file is under 4 KB. Re-run after changing this script and commit the output:
    python3 tests/inference/gguf/make_corpus.py
"""
import os
import struct
import sys

U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
F32_T, F16_T, Q4_0_T, Q8_0_T = 0, 1, 2, 8
BLOCK = {F32_T: (1, 4), F16_T: (1, 2), Q4_0_T: (32, 18), Q8_0_T: (32, 34)}
SCALAR_FMT = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f",
              BOOL: "<B", U64: "<Q", I64: "<q", F64: "<d"}


def gstr(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def value(vtype, v):
    """Encodes a value without its type tag. Arrays: v = (elem_type, [items])."""
    if vtype == STRING:
        return gstr(v)
    if vtype == ARRAY:
        etype, items = v
        return struct.pack("<IQ", etype, len(items)) + b"".join(value(etype, i) for i in items)
    return struct.pack(SCALAR_FMT[vtype], v)


def kv(key, vtype, v):
    return gstr(key) + struct.pack("<I", vtype) + value(vtype, v)


def tensor_bytes(dims, ttype):
    n = 1
    for d in dims:
        n *= d
    block, size = BLOCK.get(ttype, (1, 4))
    return n // block * size


def gguf(kvs=(), tensors=(), version=3, alignment=32, magic=b"GGUF", tensor_count=None, kv_count=None):
    """tensors: (name, dims, type[, offset]); data is a byte pattern, packed and aligned."""
    out = bytearray(magic + struct.pack("<IQQ", version,
                                        len(tensors) if tensor_count is None else tensor_count,
                                        len(kvs) if kv_count is None else kv_count))
    for entry in kvs:
        out += entry
    offsets, nxt = [], 0
    for t in tensors:
        name, dims, ttype = t[:3]
        off = t[3] if len(t) > 3 else nxt
        offsets.append(off)
        nxt = -(-(off + tensor_bytes(dims, ttype)) // alignment) * alignment
        out += gstr(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", ttype, off)
    if not tensors:
        return bytes(out)
    out += b"\0" * (-len(out) % alignment)
    start = len(out)
    for t, off in zip(tensors, offsets):
        if len(t) > 3:
            continue
        size = tensor_bytes(t[1], t[2])
        end = start + off + size
        if len(out) < end:
            out += b"\0" * (end - len(out))
        out[start + off:end] = bytes((i * 7 + 1) & 0xFF for i in range(size))
    return bytes(out)


ARCH = kv("general.architecture", STRING, "llama")
ONE_TENSOR = [("blk.0.attn_q.weight", [32, 2], F32_T)]


def nested(levels):
    v = (U8, [1, 2])
    for _ in range(levels - 1):
        v = (ARRAY, [v])
    return v


def all_types():
    return [ARCH, kv("v.u8", U8, 255), kv("v.i8", I8, -128), kv("v.u16", U16, 65535),
            kv("v.i16", I16, -32768), kv("v.u32", U32, 2**32 - 1), kv("v.i32", I32, -2**31),
            kv("v.f32", F32, 1.5), kv("v.bool", BOOL, 1), kv("v.str", STRING, "h\u00e9llo"),
            kv("v.u64", U64, 2**64 - 1), kv("v.i64", I64, -2**63), kv("v.f64", F64, -0.25),
            kv("v.bool2", BOOL, 7)]


def patch(data, at, raw):
    b = bytearray(data)
    b[at:at + len(raw)] = raw
    return bytes(b)


def corpus():
    ok_model = gguf([ARCH, kv("general.name", STRING, "tiny"), kv("llama.context_length", U32, 64)],
                    [("token_embd.weight", [32, 4], Q8_0_T), ("output_norm.weight", [32], F32_T),
                     ("blk.0.ffn_up.weight", [64, 2], Q4_0_T), ("blk.0.ffn_down.weight", [8, 2], F16_T)])
    files = {
        "ok_minimal": gguf(),
        "ok_vocab_only": gguf([kv("tokenizer.ggml.model", STRING, "gpt2"),
                               kv("tokenizer.ggml.tokens", ARRAY, (STRING, ["a", "b", "<s>", ""])),
                               kv("tokenizer.ggml.scores", ARRAY, (F32, [0.0, -1.0, -2.0, -3.0]))]),
        "ok_all_types": gguf(all_types()),
        "ok_nested_arrays": gguf([kv("n.deep", ARRAY, nested(8)),
                                  kv("n.mixed", ARRAY, (ARRAY, [(STRING, ["x"]), (I64, [-1, 2]), (F64, [])]))]),
        "ok_v2": gguf([ARCH], ONE_TENSOR, version=2),
        "ok_tensors": ok_model,
        "ok_align_64": gguf([ARCH, kv("general.alignment", U32, 64)], ONE_TENSOR + [("b", [32], F32_T)],
                            alignment=64),
        "ok_align_1": gguf([ARCH, kv("general.alignment", U32, 1)], [("a", [3], F16_T), ("b", [1], F32_T)],
                           alignment=1),
        "bad_empty": b"",
        "bad_magic": patch(gguf([ARCH], ONE_TENSOR), 0, b"GGML"),
        "bad_short_magic": b"GGU",
        "bad_version_1": gguf([ARCH], ONE_TENSOR, version=1),
        "bad_version_4": gguf([ARCH], ONE_TENSOR, version=4),
        "bad_big_endian": gguf([ARCH], ONE_TENSOR, version=0x03000000),
        "bad_header_truncated": b"GGUF\x03\0\0\0\x01\0\0",
        "bad_kv_count_huge": gguf([ARCH], ONE_TENSOR, kv_count=2**60),
        "bad_kv_count_max": gguf([ARCH], kv_count=2**64 - 1),
        "bad_tensor_count_huge": gguf([ARCH], ONE_TENSOR, tensor_count=2**60),
        "bad_tensor_count_plus_one": gguf([ARCH], ONE_TENSOR, tensor_count=2),
        "bad_key_length_huge": patch(gguf([ARCH]), 24, struct.pack("<Q", 2**63)),
        "bad_string_length_huge": patch(gguf([ARCH]), 56, struct.pack("<Q", 2**64 - 1)),
        "bad_value_type": gguf([gstr("x") + struct.pack("<I", 13) + b"\0" * 8]),
        "bad_array_elem_type": gguf([gstr("x") + struct.pack("<IIQ", ARRAY, 99, 1) + b"\0" * 8]),
        "bad_array_count_huge": gguf([gstr("x") + struct.pack("<IIQ", ARRAY, F32, 2**60) + b"\0" * 8]),
        "bad_array_strings_huge": gguf([gstr("x") + struct.pack("<IIQ", ARRAY, STRING, 2**62)]),
        "bad_array_arrays_huge": gguf([gstr("x") + struct.pack("<IIQ", ARRAY, ARRAY, 2**61)]),
        "bad_array_string_past_eof": gguf([kv("t", ARRAY, (STRING, ["a", "b"]))])[:-1],
        "bad_nesting_9": gguf([kv("n", ARRAY, nested(9))]),
        "bad_nesting_100": gguf([kv("n", ARRAY, nested(100))]),
        "bad_duplicate_key": gguf([ARCH, ARCH]),
        "bad_duplicate_tensor": gguf([ARCH], ONE_TENSOR + ONE_TENSOR),
        "bad_align_zero": gguf([ARCH, kv("general.alignment", U32, 0)], ONE_TENSOR),
        "bad_align_3": gguf([ARCH, kv("general.alignment", U32, 3)], ONE_TENSOR),
        "bad_align_u64": gguf([ARCH, kv("general.alignment", U64, 32)], ONE_TENSOR),
        "bad_align_huge": gguf([ARCH, kv("general.alignment", U32, 2**31)], ONE_TENSOR),
        "bad_n_dims_0": gguf([ARCH], [("t", [], F32_T)]),
        "bad_n_dims_5": gguf([ARCH], [("t", [32, 1, 1, 1, 1], F32_T)]),
        "bad_dim_zero": gguf([ARCH], [("t", [32, 0], F32_T)]),
        "bad_dim_above_int64": gguf([ARCH], [("t", [2**63], F32_T, 0)]),
        "bad_dims_overflow": gguf([ARCH], [("t", [2**32, 2**32], F32_T, 0)]),
        "bad_bytes_overflow": gguf([ARCH], [("t", [2**62], 28, 0)]),
        "bad_type_99": gguf([ARCH], [("t", [32], 99, 0)]),
        "bad_type_4": gguf([ARCH], [("t", [32], 4, 0)]),
        "bad_block_multiple": gguf([ARCH], [("t", [31, 2], Q8_0_T, 0)]),
        "bad_offset_misaligned": gguf([ARCH], [("t", [32], F32_T, 4)]),
        "bad_offset_oob": gguf([ARCH], [("t", [32], F32_T, 4096)]),
        "bad_offset_overflow": gguf([ARCH], [("t", [32], F32_T, 2**64 - 32)]),
        "bad_data_truncated": ok_model[:-1],
    }
    # Truncations of a valid multi-tensor file at points inside each section.
    for cut in (8, 23, 40, 70, 120, 200, len(ok_model) // 2):
        files["bad_trunc_%04d" % cut] = ok_model[:cut]
    return files


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out_dir, exist_ok=True)
    for name in os.listdir(out_dir):  # generated files only; crash reproducers are kept
        if name.startswith(("ok_", "bad_")):
            os.remove(os.path.join(out_dir, name))
    for name, data in sorted(corpus().items()):
        if len(data) >= 4096:
            sys.exit("%s is %d bytes (limit 4096)" % (name, len(data)))
        with open(os.path.join(out_dir, name + ".gguf"), "wb") as f:
            f.write(data)
    print("wrote %d files to %s" % (len(corpus()), out_dir))


if __name__ == "__main__":
    main()
