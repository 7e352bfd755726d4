// GGUF reader on synthetic files: every value type, nested arrays, tensors,
// alignment, open() with and without mmap, and a table of malformed files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "gguf/gguf_file.h"
#include "gguf_writer.h"

namespace {

using assistant::ErrorCode;
using kernels::GgmlType;
using namespace testgguf;

// Bytes is exactly the file's size on the heap, so ASan catches any read past the end.
// The File views the bytes: they must outlive it.
assistant::Result<std::unique_ptr<gguf::File>> parse(const Bytes& bytes) {
    return gguf::File::fromMemory(bytes);
}

Bytes f32Data(std::initializer_list<float> values) {
    Bytes out;
    for (float v : values) put<float>(out, v);
    return out;
}

// One of each scalar type, plus two tensors (F32 and Q8_0) whose data ends at EOF.
Writer smallModel() {
    Writer w;
    w.kv("general.architecture", str("llama"))
        .kv("general.name", str("tiny"))
        .kv("llama.context_length", u32(128))
        .kv("v.u8", u8(200))
        .kv("v.i8", i8(-5))
        .kv("v.u16", u16(60000))
        .kv("v.i16", i16(-30000))
        .kv("v.i32", i32(-7))
        .kv("v.u64", u64(1ull << 40))
        .kv("v.i64", i64(-(1ll << 40)))
        .kv("v.f32", f32(0.5f))
        .kv("v.f64", f64(1e-300))
        .kv("v.bool", boolean(true))
        .kv("v.empty", str(""));
    w.tensor("a.weight", {4, 2}, GgmlType::F32, f32Data({1, 2, 3, 4, 5, 6, 7, 8}));
    w.tensor("b.weight", {32, 3}, GgmlType::Q8_0);
    return w;
}

TEST(GgufFile, ScalarValuesOfEveryType) {
    const Bytes bytes = smallModel().build();  // the File views these bytes
    auto file = parse(bytes);
    ASSERT_TRUE(file) << file.error().message;
    const gguf::File& f = **file;
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.metadata().size(), 14u);
    EXPECT_EQ(f.metadata()[0].first, "general.architecture");
    EXPECT_EQ(f.getString("general.name"), "tiny");
    EXPECT_EQ(f.getUInt("llama.context_length"), 128u);
    EXPECT_EQ(f.archKey("context_length"), "llama.context_length");
    EXPECT_EQ(f.getUInt("v.u8"), 200u);
    EXPECT_EQ(f.getInt("v.i8"), -5);
    EXPECT_EQ(f.getUInt("v.i8"), std::nullopt);  // negative is not a uint
    EXPECT_EQ(f.getUInt("v.u16"), 60000u);
    EXPECT_EQ(f.getInt("v.i16"), -30000);
    EXPECT_EQ(f.getInt("v.i32"), -7);
    EXPECT_EQ(f.getUInt("v.u64"), 1ull << 40);
    EXPECT_EQ(f.getInt("v.i64"), -(1ll << 40));
    EXPECT_EQ(f.getFloat("v.f32"), 0.5);
    EXPECT_EQ(f.getFloat("v.f64"), 1e-300);
    EXPECT_EQ(f.getFloat("v.u8"), 200.0);  // integers widen to float
    EXPECT_EQ(f.getBool("v.bool"), true);
    EXPECT_EQ(f.getString("v.empty"), "");
    EXPECT_EQ(f.getString("v.u8"), std::nullopt);  // wrong type
    EXPECT_EQ(f.getUInt("missing"), std::nullopt);
    EXPECT_EQ(f.find("v.f32")->type, gguf::ValueType::F32);
    EXPECT_EQ(f.getArray("v.u8"), nullptr);
}

TEST(GgufFile, TensorsPointIntoTheImage) {
    const Bytes bytes = smallModel().build();
    auto file = parse(bytes);
    ASSERT_TRUE(file) << file.error().message;
    const gguf::File& f = **file;
    ASSERT_EQ(f.tensors().size(), 2u);
    EXPECT_EQ(f.alignment(), 32u);
    EXPECT_EQ(f.dataOffset() % 32, 0u);
    const gguf::TensorInfo* a = f.tensor("a.weight");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->type, GgmlType::F32);
    EXPECT_EQ(a->shape, (std::vector<int64_t>{4, 2}));
    EXPECT_EQ(a->elements(), 8);
    EXPECT_EQ(a->rows(), 2);
    EXPECT_EQ(a->bytes, 32u);
    EXPECT_EQ(a->offset, 0u);
    EXPECT_EQ(a->data, bytes.data() + f.dataOffset());
    float last = 0;
    std::memcpy(&last, a->data + 28, 4);
    EXPECT_EQ(last, 8.0f);
    const gguf::TensorInfo* b = f.tensor("b.weight");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->type, GgmlType::Q8_0);
    EXPECT_EQ(b->bytes, 3u * 34u);
    EXPECT_EQ(b->offset, 32u);
    EXPECT_EQ(b->data + b->bytes, bytes.data() + bytes.size());
    EXPECT_EQ(f.tensor("c.weight"), nullptr);
}

TEST(GgufFile, NestedArrays) {
    Writer w;
    w.kv("a.u32", array(ValueType::U32, {u32(1), u32(2), u32(3)}))
        .kv("a.empty", array(ValueType::F32, {}))
        .kv("a.strings", array(ValueType::String, {str("x"), str(""), str("hello")}))
        .kv("a.nested", array(ValueType::Array, {array(ValueType::I16, {i16(-1)}),
                                                 array(ValueType::String, {str("in"), str("ner")})}));
    const Bytes bytes = w.build();
    auto file = parse(bytes);
    ASSERT_TRUE(file) << file.error().message;
    const gguf::File& f = **file;
    const gguf::Array* u = f.getArray("a.u32");
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(u->elementType, ValueType::U32);
    ASSERT_EQ(u->items.size(), 3u);
    EXPECT_EQ(u->items[2].asUInt(), 3u);
    EXPECT_EQ(f.getArray("a.empty")->items.size(), 0u);
    EXPECT_EQ(f.getArray("a.strings")->items[2].asString(), "hello");
    const gguf::Array* nested = f.getArray("a.nested");
    ASSERT_NE(nested, nullptr);
    ASSERT_EQ(nested->items.size(), 2u);
    EXPECT_EQ(nested->items[0].asArray()->items[0].asInt(), -1);
    EXPECT_EQ(nested->items[1].asArray()->elementType, ValueType::String);
    EXPECT_EQ(nested->items[1].asArray()->items[1].asString(), "ner");
}

Encoded nestedArray(int levels) {
    Encoded e = array(ValueType::U8, {u8(7)});
    for (int i = 1; i < levels; ++i) e = array(ValueType::Array, {e});
    return e;
}

TEST(GgufFile, NestingUpToTheLimitParses) {
    Writer w;
    w.kv("deep", nestedArray(8));
    const Bytes bytes = w.build();
    auto file = parse(bytes);
    ASSERT_TRUE(file) << file.error().message;
}

TEST(GgufFile, CustomAlignmentAndVersion2) {
    Writer w = smallModel();
    w.version = 2;
    w.setAlignment(128);
    const Bytes bytes = w.build();
    auto file = parse(bytes);
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ((*file)->version(), 2u);
    EXPECT_EQ((*file)->alignment(), 128u);
    EXPECT_EQ((*file)->dataOffset() % 128, 0u);
    EXPECT_EQ((*file)->tensor("b.weight")->offset, 128u);
}

TEST(GgufFile, NoTensorsMayEndAfterMetadata) {
    Writer w;
    w.kv("tokenizer.ggml.model", str("gpt2"));
    const Bytes bytes = w.build();
    auto file = parse(bytes);
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_TRUE((*file)->tensors().empty());
}

class TempFile {
public:
    explicit TempFile(const Bytes& bytes) {
        m_path = (std::filesystem::temp_directory_path() /
                  ("gguf_test_" + std::to_string(::getpid()) + "_" + std::to_string(s_counter++) + ".gguf"))
                     .string();
        std::ofstream(m_path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    ~TempFile() { std::filesystem::remove(m_path); }
    const std::string& path() const { return m_path; }

private:
    static inline int s_counter = 0;
    std::string m_path;
};

TEST(GgufFile, OpenWithAndWithoutMmap) {
    TempFile tmp(smallModel().build());
    for (bool mmap : {true, false}) {
        SCOPED_TRACE(mmap ? "mmap" : "read");
        auto file = gguf::File::open(tmp.path(), mmap);
        ASSERT_TRUE(file) << file.error().message;
        EXPECT_EQ((*file)->path(), tmp.path());
        const gguf::TensorInfo* a = (*file)->tensor("a.weight");
        ASSERT_NE(a, nullptr);
        (*file)->release(*a);  // pages come back from the file on the next touch
        float first = 0;
        std::memcpy(&first, a->data, 4);
        EXPECT_EQ(first, 1.0f);
        EXPECT_EQ((*file)->getString("general.name"), "tiny");
    }
}

TEST(GgufFile, OpenErrors) {
    auto missing = gguf::File::open("/nonexistent/dir/model.gguf");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::FileNotFound);
    EXPECT_NE(missing.error().message.find("/nonexistent/dir/model.gguf"), std::string::npos);

    auto dir = gguf::File::open(std::filesystem::temp_directory_path().string());
    ASSERT_FALSE(dir);
    EXPECT_EQ(dir.error().code, ErrorCode::FileNotFound);

    TempFile empty(Bytes{});
    auto e = gguf::File::open(empty.path());
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code, ErrorCode::InvalidFormat);

    Writer bad = smallModel();
    bad.version = 1;
    TempFile v1(bad.build());
    auto old = gguf::File::open(v1.path(), false);
    ASSERT_FALSE(old);
    EXPECT_EQ(old.error().code, ErrorCode::InvalidFormat);
    EXPECT_EQ(old.error().message.rfind(v1.path() + ": ", 0), 0u) << old.error().message;
}

// Every proper prefix of a valid file (whose last tensor ends at EOF) is rejected.
TEST(GgufFile, TruncationAtEveryByteIsRejected) {
    const Bytes full = smallModel().build();
    ASSERT_TRUE(parse(full));
    for (size_t n = 0; n < full.size(); ++n) {
        const Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
        auto file = parse(prefix);
        ASSERT_FALSE(file) << "prefix of " << n << " bytes parsed";
        EXPECT_EQ(file.error().code, ErrorCode::InvalidFormat) << n << ": " << file.error().message;
        EXPECT_FALSE(file.error().message.empty());
    }
}

}  // namespace
