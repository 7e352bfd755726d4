// Malformed GGUF files: each case is a broken file, the ErrorCode it must give and
// a fragment the message must contain (the field that failed).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "gguf/gguf_file.h"
#include "gguf_writer.h"

namespace {

using assistant::ErrorCode;
using kernels::GgmlType;
using namespace testgguf;

Writer base() {
    Writer w;
    w.kv("general.architecture", str("llama"));
    w.tensor("blk.0.attn_q.weight", {32, 2}, GgmlType::F32);
    return w;
}

Bytes withTensor(std::function<void(Writer::Tensor&)> edit) {
    Writer w = base();
    edit(w.tensors[0]);
    return w.build();
}

Bytes withKv(const std::string& key, const Encoded& value) {
    Writer w;
    w.kv(key, value);
    return w.build();
}

Bytes patched(Bytes bytes, size_t at, std::initializer_list<uint8_t> with) {
    if (at + with.size() > bytes.size()) bytes.resize(at + with.size());
    std::copy(with.begin(), with.end(), bytes.begin() + static_cast<std::ptrdiff_t>(at));
    return bytes;
}

struct Case {
    const char* name;
    std::function<Bytes()> make;
    ErrorCode code;
    const char* fragment;
};

constexpr uint64_t kHuge = 1ull << 60;

const Case kCases[] = {
    {"empty", [] { return Bytes{}; }, ErrorCode::InvalidFormat, "not a GGUF file"},
    {"three_bytes", [] { return Bytes{'G', 'G', 'U'}; }, ErrorCode::InvalidFormat, "not a GGUF file"},
    {"bad_magic", [] { return patched(base().build(), 0, {'G', 'G', 'M', 'L'}); }, ErrorCode::InvalidFormat,
     "magic is 'GGML'"},
    {"version_1", [] { Writer w = base(); w.version = 1; return w.build(); }, ErrorCode::InvalidFormat,
     "version 1 is not supported"},
    {"version_4", [] { Writer w = base(); w.version = 4; return w.build(); }, ErrorCode::InvalidFormat,
     "unsupported GGUF version 4"},
    {"big_endian", [] { Writer w = base(); w.version = 0x03000000; return w.build(); },
     ErrorCode::InvalidFormat, "big-endian"},
    {"header_truncated", [] { return Bytes{'G', 'G', 'U', 'F', 3, 0, 0, 0, 1}; }, ErrorCode::InvalidFormat,
     "tensor_count"},
    {"kv_count_absurd", [] { Writer w = base(); w.kvCount = kHuge; return w.build(); },
     ErrorCode::InvalidFormat, "kv_count 1152921504606846976 is impossible"},
    {"kv_count_max", [] { Writer w = base(); w.kvCount = ~0ull; return w.build(); }, ErrorCode::InvalidFormat,
     "kv_count"},
    {"tensor_count_absurd", [] { Writer w = base(); w.tensorCount = kHuge; return w.build(); },
     ErrorCode::InvalidFormat, "tensor_count 1152921504606846976 is impossible"},
    {"tensor_count_one_too_many", [] { Writer w = base(); w.tensorCount = 2; return w.build(); },
     ErrorCode::InvalidFormat, "tensor"},
    {"kv_count_one_too_many", [] { Writer w = base(); w.kvCount = 2; return w.build(); },
     ErrorCode::InvalidFormat, ""},
    {"key_length_past_eof", [] { Writer w; w.kvRaw("", 0, {5}); Bytes b = w.build();
         return patched(b, 24, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}); },
     ErrorCode::InvalidFormat, "key length"},
    {"string_length_past_eof", [] { Bytes b = withKv("general.name", str("abc"));
         return patched(b, b.size() - 3 - 8, {0x00, 0x10}); },
     ErrorCode::InvalidFormat, "key 'general.name': string value length 4096"},
    {"unknown_value_type", [] { Writer w; w.kvRaw("x.y", 13, {0, 0, 0, 0}); return w.build(); },
     ErrorCode::InvalidFormat, "key 'x.y': unknown value type 13"},
    {"unknown_array_element_type", [] { Writer w; w.kvRaw("x.arr", 9, {99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
         return w.build(); },
     ErrorCode::InvalidFormat, "unknown array element type 99"},
    {"array_count_absurd", [] { return withKv("tokenizer.ggml.scores", array(ValueType::F32, {f32(1)}, kHuge)); },
     ErrorCode::InvalidFormat, "key 'tokenizer.ggml.scores': array count 1152921504606846976"},
    {"array_of_strings_count_absurd",
     [] { return withKv("tokenizer.ggml.tokens", array(ValueType::String, {str("a")}, ~0ull)); },
     ErrorCode::InvalidFormat, "array count"},
    {"array_of_arrays_count_absurd",
     [] { return withKv("x", array(ValueType::Array, {}, kHuge)); }, ErrorCode::InvalidFormat, "array count"},
    {"array_element_string_past_eof",
     [] { Bytes b = withKv("t", array(ValueType::String, {str("a"), str("b")}));
          return patched(b, b.size() - 9, {0xff}); },
     ErrorCode::InvalidFormat, "array element 1 of 2"},
    {"deep_nesting", [] {
         Encoded e = array(ValueType::U8, {u8(1)});
         for (int i = 0; i < 8; ++i) e = array(ValueType::Array, {e});
         return withKv("deep", e); },
     ErrorCode::InvalidFormat, "nested deeper than 8"},
    {"very_deep_nesting", [] {
         Encoded e = array(ValueType::U8, {});
         for (int i = 0; i < 2000; ++i) e = array(ValueType::Array, {e});
         return withKv("deep", e); },
     ErrorCode::InvalidFormat, "nested deeper"},
    {"duplicate_key", [] { Writer w = base(); w.kv("general.architecture", str("qwen2")); return w.build(); },
     ErrorCode::InvalidFormat, "key 'general.architecture': duplicate key"},
    {"alignment_zero", [] { Writer w = base(); w.kv("general.alignment", u32(0)); return w.build(); },
     ErrorCode::InvalidFormat, "alignment 0 is not a nonzero power of two"},
    {"alignment_not_power_of_two", [] { Writer w = base(); w.kv("general.alignment", u32(48)); return w.build(); },
     ErrorCode::InvalidFormat, "alignment 48"},
    {"alignment_wrong_type", [] { Writer w = base(); w.kv("general.alignment", u64(32)); return w.build(); },
     ErrorCode::InvalidFormat, "general.alignment': type is u64, expected u32"},
    {"tensor_name_past_eof", [] { return patched(base().build(), 69, {0xff, 0xff, 0xff}); },  // name length
     ErrorCode::InvalidFormat, "tensor #0: name length 16777215"},
    {"duplicate_tensor", [] { Writer w = base(); w.tensor("blk.0.attn_q.weight", {32}, GgmlType::F32);
         return w.build(); },
     ErrorCode::InvalidFormat, "tensor 'blk.0.attn_q.weight': duplicate tensor name"},
    {"n_dims_zero", [] { return withTensor([](Writer::Tensor& t) { t.dims = {}; }); }, ErrorCode::InvalidFormat,
     "n_dims 0 is out of range"},
    {"n_dims_five", [] { return withTensor([](Writer::Tensor& t) { t.dims = {32, 1, 1, 1, 1}; t.data = Bytes(128); }); },
     ErrorCode::InvalidFormat, "n_dims 5 is out of range"},
    {"dim_zero", [] { return withTensor([](Writer::Tensor& t) { t.dims = {32, 0}; t.data = Bytes(4); }); },
     ErrorCode::InvalidFormat, "dimension 1 is 0"},
    {"dim_above_int64", [] { return withTensor([](Writer::Tensor& t) { t.dims = {1ull << 63}; t.data = Bytes(4); }); },
     ErrorCode::InvalidFormat, "dimension 0 is 9223372036854775808"},
    {"dims_product_overflows",
     [] { return withTensor([](Writer::Tensor& t) { t.dims = {1ull << 32, 1ull << 32}; t.data = Bytes(4); }); },
     ErrorCode::InvalidFormat, "element count overflows at dimension 1"},
    {"bytes_overflow",
     [] { return withTensor([](Writer::Tensor& t) {
              t.dims = {1ull << 62}; t.type = static_cast<uint32_t>(GgmlType::F64); t.data = Bytes(8); }); },
     ErrorCode::InvalidFormat, "overflows"},
    {"unknown_type_id", [] { return withTensor([](Writer::Tensor& t) { t.type = 99; t.data = Bytes(4); }); },
     ErrorCode::UnsupportedTensorType, "tensor 'blk.0.attn_q.weight': unknown tensor type id 99"},
    {"removed_type_id_4", [] { return withTensor([](Writer::Tensor& t) { t.type = 4; t.data = Bytes(4); }); },
     ErrorCode::UnsupportedTensorType, "type id 4"},
    {"row_not_multiple_of_block",
     [] { return withTensor([](Writer::Tensor& t) { t.dims = {31, 2}; t.type = static_cast<uint32_t>(GgmlType::Q8_0); t.data = Bytes(68); }); },
     ErrorCode::InvalidFormat, "ne[0]=31 is not a multiple of the block size 32 of Q8_0"},
    {"misaligned_offset", [] { return withTensor([](Writer::Tensor& t) { t.offset = 4; }); },
     ErrorCode::InvalidFormat, "offset 4 is not a multiple of the alignment 32"},
    {"offset_past_eof", [] { return withTensor([](Writer::Tensor& t) { t.offset = 4096; }); },
     ErrorCode::InvalidFormat, "tensor 'blk.0.attn_q.weight': offset 4096 + 256 bytes exceeds file size"},
    {"offset_overflows", [] { return withTensor([](Writer::Tensor& t) { t.offset = ~0ull - 31; }); },
     ErrorCode::InvalidFormat, "exceeds file size"},
    {"data_truncated", [] { Bytes b = base().build(); b.pop_back(); return b; }, ErrorCode::InvalidFormat,
     "offset 0 + 256 bytes exceeds file size"},
    {"data_section_past_eof", [] {  // the key says 2^31, the writer pads to 32
         Writer w = base(); w.kv("general.alignment", u32(1u << 31)); return w.build(); },
     ErrorCode::InvalidFormat, "data section starts at 2147483648"},
};

class Malformed : public ::testing::TestWithParam<Case> {};

TEST_P(Malformed, GivesTheExpectedError) {
    const Case& c = GetParam();
    const Bytes bytes = c.make();
    auto file = gguf::File::fromMemory(bytes);
    ASSERT_FALSE(file) << c.name << " parsed";
    EXPECT_EQ(file.error().code, c.code) << file.error().message;
    EXPECT_NE(file.error().message.find(c.fragment), std::string::npos)
        << "message: " << file.error().message << "\nexpected to contain: " << c.fragment;
}

INSTANTIATE_TEST_SUITE_P(Gguf, Malformed, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

}  // namespace
