#!/usr/bin/python3
"""Reference UGM ("t5") tokenization for ugm_tokenizer_test, written apart from the C++.

Reads a vocab GGUF (tokens, scores, token types, precompiled charsmap), then for each
input text: the charsmap's longest-match replacements (its Darts-clone trie read here
in Python), malformed bytes as U+FFFD, remove_extra_whitespaces + add_space_prefix
(one U+2581 before every run of non-spaces), and a brute-force Viterbi that looks every
substring up in a dict (strictly better scores win; unknown characters at lowest
Normal score - 10; consecutive unknowns merged). No special-token parsing, no BOS/EOS.

Usage: ugm_reference.py VOCAB.gguf TEXTS (NUL-separated UTF-8) OUT (one id list a line)
"""
import struct
import sys

STR, ARR = 8, 9
SCALAR = {0: '<B', 1: '<b', 2: '<H', 3: '<h', 4: '<I', 5: '<i', 6: '<f', 7: '<?', 10: '<Q', 11: '<q', 12: '<d'}


def read_metadata(path):
    buf = open(path, 'rb').read()
    assert buf[:4] == b'GGUF', path
    n_kv = struct.unpack_from('<Q', buf, 16)[0]
    pos = 24

    def value(vtype):
        nonlocal pos
        if vtype == STR:
            n = struct.unpack_from('<Q', buf, pos)[0]
            pos += 8 + n
            return buf[pos - n:pos]
        if vtype == ARR:
            etype, count = struct.unpack_from('<IQ', buf, pos)
            pos += 12
            if etype == 0:  # uint8 blob
                pos += count
                return buf[pos - count:pos]
            return [value(etype) for _ in range(count)]
        v = struct.unpack_from(SCALAR[vtype], buf, pos)[0]
        pos += struct.calcsize(SCALAR[vtype])
        return v

    kv = {}
    for _ in range(n_kv):
        key = value(STR).decode()
        vtype = struct.unpack_from('<I', buf, pos)[0]
        pos += 4
        kv[key] = value(vtype)
    return kv


class Charsmap:
    def __init__(self, blob):
        size = struct.unpack_from('<I', blob, 0)[0]
        self.units = struct.unpack_from('<%dI' % (size // 4), blob, 4)
        self.pool = blob[4 + size:]

    @staticmethod
    def offset(u):
        return (u >> 10) << ((u & (1 << 9)) >> 6)

    def longest(self, text):
        node, best = self.offset(self.units[0]), None
        for i, c in enumerate(text):
            if c == 0:
                break
            node ^= c
            u = self.units[node]
            if u & ((1 << 31) | 0xFF) != c:
                break
            node ^= self.offset(u)
            if (u >> 8) & 1:
                v = self.units[node] & 0x7FFFFFFF
                best = (i + 1, self.pool[v:self.pool.index(b'\0', v)])
        return best


def char_len(lead):
    return 1 if lead < 0x80 else 2 if lead >> 5 == 6 else 3 if lead >> 4 == 14 else 4 if lead >> 3 == 30 else 1


def normalize(charsmap, text):
    out, in_word, i = bytearray(), False, 0
    while i < len(text):
        m = charsmap.longest(text[i:i + 64])
        if m:
            replacement, i = m[1], i + m[0]
        else:
            n = char_len(text[i])
            try:
                text[i:i + n].decode('utf-8')
                replacement, i = text[i:i + n], i + n
            except UnicodeDecodeError:
                replacement, i = '\ufffd'.encode(), i + 1
        for c in replacement:
            if c == 0x20:
                in_word = False
                continue
            if not in_word:
                in_word = True
                out += '\u2581'.encode()
            out.append(c)
    return bytes(out)


def viterbi(s, pieces, scores, types, max_len, unk, unk_score):
    n = len(s)
    best = [(-1e300, 0, unk)] * (n + 1)
    best[0] = (0.0, 0, unk)
    b = 0
    while b < n:
        cl = min(char_len(s[b]), n - b)
        single = False
        for e in range(b + 1, min(n, b + max_len) + 1):
            i = pieces.get(s[b:e])
            if i is None:
                continue
            single = single or e - b == cl
            v = best[b][0] + (0.0 if types[i] == 4 else scores[i])
            if v > best[e][0]:
                best[e] = (v, b, i)
        if not single and best[b][0] + unk_score > best[b + cl][0]:
            best[b + cl] = (best[b][0] + unk_score, b, unk)
        b += cl
    out, e, prev = [], n, False
    while e > 0:
        _, b, i = best[e]
        if not (prev and i == unk):
            out.append(i)
        prev, e = i == unk, b
    return out[::-1]


def main():
    vocab, texts_path, out_path = sys.argv[1:4]
    kv = read_metadata(vocab)
    tokens, scores, types = kv['tokenizer.ggml.tokens'], kv['tokenizer.ggml.scores'], kv['tokenizer.ggml.token_type']
    pieces = {}
    for i, (t, y) in enumerate(zip(tokens, types)):
        if y in (1, 4) and t not in pieces:
            pieces[t] = i
    max_len = max(len(t) for t in pieces)
    unk = kv['tokenizer.ggml.unknown_token_id']
    unk_score = min(s for s, y in zip(scores, types) if y == 1) - 10
    charsmap = Charsmap(kv['tokenizer.ggml.precompiled_charsmap'])
    with open(texts_path, 'rb') as f:
        texts = f.read().split(b'\0')
    with open(out_path, 'w') as f:
        for t in texts:
            ids = viterbi(normalize(charsmap, t), pieces, scores, types, max_len, unk, unk_score)
            f.write(' '.join(map(str, ids)) + '\n')


if __name__ == '__main__':
    main()
