#include "quantize/model_quantizer.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "kernels/ref.h"
#include "kernels/thread_pool.h"
#include "quantize/quant_recipe.h"
#include "common/log.h"

namespace quantize {
namespace {

using assistant::ErrorCode;
using assistant::detail::makeError;
using kernels::GgmlType;

constexpr uint32_t kQuantizationVersion = 2;  // the block layouts of ggml's current quants

bool convertible(GgmlType t) { return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16; }

// Converts one tensor: rows are split into contiguous ranges, one per task; each task
// dequantizes its source rows to float and quantizes them into `out`.
void convertTensor(kernels::ThreadPool& pool, const gguf::TensorInfo& src, GgmlType dstType, std::span<uint8_t> out) {
    const int64_t k = src.shape[0], rows = src.rows();
    const size_t srcRow = kernels::rowBytes(src.type, k), dstRow = kernels::rowBytes(dstType, k);
    const int64_t tasks = std::min<int64_t>(rows, static_cast<int64_t>(pool.size()) * 4);
    std::vector<std::vector<float>> buffers(pool.size(), std::vector<float>(static_cast<size_t>(k)));
    pool.parallelFor(tasks, [&](int64_t task, int thread) {
        const int64_t r0 = rows * task / tasks, r1 = rows * (task + 1) / tasks;
        float* row = buffers[static_cast<size_t>(thread)].data();
        for (int64_t r = r0; r < r1; ++r) {
            kernels::ref::dequantizeRow(src.type, src.data + r * srcRow, row, k);
            kernels::ref::quantizeRow(dstType, row, out.data() + r * dstRow, k);
        }
    });
}

assistant::Result<Recipe> recipeFor(std::string_view type) {
    std::optional<Recipe> recipe = findRecipe(type);
    if (!recipe)
        return std::unexpected(makeError(ErrorCode::InvalidArgument, "unknown quantization type '", type,
                                         "'; supported: ", recipeNames()));
    return std::move(*recipe);
}

// The output's metadata: the input's, with the recipe's file type and our quant version.
void copyMetadata(const gguf::File& in, const Recipe& recipe, gguf::Writer& writer) {
    for (const auto& [key, value] : in.metadata()) writer.copyValue(key, value);
    writer.setU32("general.file_type", recipe.fileType);
    writer.setU32("general.quantization_version", kQuantizationVersion);
}

}  // namespace

assistant::Result<std::vector<uint8_t>> quantizeImage(const gguf::File& in, std::string_view type, int threads) {
    const auto recipe = recipeFor(type);
    if (!recipe) return std::unexpected(recipe.error());
    const int64_t nLayer = in.getInt(in.archKey("block_count")).value_or(0);
    const bool outputTied = in.tensor("output.weight") == nullptr;
    gguf::Writer writer;
    copyMetadata(in, *recipe, writer);
    std::vector<GgmlType> types;
    for (const gguf::TensorInfo& t : in.tensors()) {
        // A tensor the recipe would widen, or one of a type that cannot be read back
        // as floats, keeps its own type: a draft is never bigger than the model.
        GgmlType target = chooseType(*recipe, {t.name, t.shape}, nLayer, outputTied);
        const kernels::TypeTraits &to = kernels::traits(target), &from = kernels::traits(t.type);
        if (uint64_t{to.blockBytes} * from.blockSize >= uint64_t{from.blockBytes} * to.blockSize || !from.computable)
            target = t.type;
        types.push_back(target);
        writer.addTensor(t.name, target, t.shape);
    }
    kernels::ThreadPool pool(threads);
    return writer.image([&](size_t i, std::span<uint8_t> out) -> assistant::Result<void> {
        const gguf::TensorInfo& src = in.tensors()[i];
        if (types[i] == src.type) std::copy_n(src.data, out.size(), out.begin());
        else convertTensor(pool, src, types[i], out);
        return {};
    });
}

assistant::Result<QuantizeStats> quantizeModel(const QuantizeParams& params) {
    const auto start = std::chrono::steady_clock::now();
    const auto recipe = recipeFor(params.type);
    if (!recipe) return std::unexpected(recipe.error());
    if (params.input == params.output)
        return std::unexpected(makeError(ErrorCode::InvalidArgument, "input and output are the same file"));
    auto opened = gguf::File::open(params.input);
    if (!opened) return std::unexpected(opened.error());
    const gguf::File& in = **opened;

    const int64_t nLayer = in.getInt(in.archKey("block_count")).value_or(0);
    const bool outputTied = in.tensor("output.weight") == nullptr;

    gguf::Writer writer;
    copyMetadata(in, *recipe, writer);

    QuantizeStats stats;
    std::vector<GgmlType> types;
    for (const gguf::TensorInfo& t : in.tensors()) {
        const GgmlType type = chooseType(*recipe, {t.name, t.shape}, nLayer, outputTied);
        if (type != t.type && !convertible(t.type))
            return std::unexpected(makeError(ErrorCode::UnsupportedTensorType, "tensor '", t.name, "' is ",
                                             kernels::typeName(t.type),
                                             "; quantize from an F32, F16 or BF16 model"));
        types.push_back(type);
        writer.addTensor(t.name, type, t.shape);
        ++stats.typeCounts[std::string(kernels::typeName(type))];
        stats.inputBytes += t.bytes;
    }

    kernels::ThreadPool pool(params.threads);
    const size_t total = in.tensors().size();
    auto fill = [&](size_t i, std::span<uint8_t> out) -> assistant::Result<void> {
        const gguf::TensorInfo& src = in.tensors()[i];
        if (types[i] == src.type) std::copy_n(src.data, out.size(), out.begin());
        else convertTensor(pool, src, types[i], out);
        in.release(src);
        stats.outputBytes += out.size();
        if (params.progress && !params.progress(i + 1, total))
            return std::unexpected(makeError(ErrorCode::Cancelled, "quantization cancelled"));
        return {};
    };
    if (auto r = writer.write(params.output, fill); !r) return std::unexpected(r.error());
    stats.tensors = total;
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return stats;
}

}  // namespace quantize
