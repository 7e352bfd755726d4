// What a session's CPU activations hold (arch/placed_layers.cpp: SessionPlacement::reserve):
// buffers for what its layers compute, no more. A model whose every feed-forward is a
// mixture of experts needs no dense gate|up rows (the experts' scratch is the backend's
// own) and a [n][E] ffn; a dense model's gate|up is [n][2F]. Before, both were sized by
// the larger of the dense and the expert width: 36 MiB too many for a 512-token batch of
// a 30B-A3B (its files keep a dense feed_forward_length of 6144 no layer uses).
#include <gtest/gtest.h>

#include "arch/arch.h"
#include "engine/placement.h"
#include "gguf/gguf_file.h"
#include "kernels/thread_pool.h"
#include "kv_cache/kv_cache.h"
#include "shared_data.h"

namespace {

struct Reserved {
    size_t gu = 0, ffn = 0;  // bytes (0: no buffer)
    arch::Hparams h;
};

Reserved reserveFor(const std::string& path, int64_t n) {
    Reserved r;
    auto file = gguf::File::open(path);
    EXPECT_TRUE(file.has_value()) << (file ? "" : file.error().message);
    if (!file) return r;
    auto a = arch::makeArchitecture(**file);
    EXPECT_TRUE(a.has_value()) << (a ? "" : a.error().message);
    if (!a) return r;
    r.h = (*a)->hparams();
    kernels::ThreadPool pool(1);
    kv::Cache kv;
    kv.allocate(r.h.nLayer, 64, r.h.nHeadKv * r.h.headDim, kernels::GgmlType::F32);
    const arch::CpuPlacement cpu = arch::placeOnCpu(**a, pool, kv);
    EXPECT_TRUE(cpu.session);
    if (!cpu.session) return r;
    EXPECT_TRUE(cpu.session->reserve(r.h, n)) << cpu.session->error;
    const arch::Activations& acts = cpu.session->onCpu;
    r.gu = acts.gu ? acts.gu->bytes() : 0;
    r.ffn = acts.ffn ? acts.ffn->bytes() : 0;
    return r;
}

TEST(SessionMemory, AMixtureOfExpertsModelHasNoDenseFeedForwardBuffers) {
    const std::string path = testdata::sharedPath("conformance/models/qwen3moe-a.Q8_0.gguf");
    REQUIRE_SHARED(path);
    const Reserved r = reserveFor(path, 48);
    ASSERT_GT(r.h.nFf, r.h.nFfExpert);  // the file's dense width, larger than the experts'
    EXPECT_EQ(r.gu, 0u);
    EXPECT_EQ(r.ffn, static_cast<size_t>(48 * r.h.nEmbd * 4));
}

TEST(SessionMemory, ADenseModelsGateUpIsItsWidth) {
    const std::string path = testdata::sharedPath("conformance/models/llama-a.Q8_0.gguf");
    REQUIRE_SHARED(path);
    const Reserved r = reserveFor(path, 48);
    EXPECT_EQ(r.gu, static_cast<size_t>(48 * 2 * r.h.nFf * 4));
    EXPECT_EQ(r.ffn, static_cast<size_t>(48 * r.h.nEmbd * 4));
}

}  // namespace
