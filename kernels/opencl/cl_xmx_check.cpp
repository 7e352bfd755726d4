// The XMX products' self-check: cl_intel_subgroup_matrix_multiply_accumulate's operand
// layout is taken from its specification and tested here only through an emulation (no
// Intel GPU in CI), so before a device's first prefill product the XMX kernels must give
// the portable kernels' results on a few partial tiles; otherwise they stay off and
// matrixUnitsNote() says why.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cl_runtime.h"
#include "kernels/ops.h"
#include "kernels/ref.h"

namespace kernels::opencl {

void Backend::checkXmx() {
    Impl& b = *m_impl;
    // rows: a partial work-group tile; tokens: past the matvec, a partial group of 8;
    // cols: 3 blocks.
    const int64_t rows = 136, cols = 96, tokens = 45;
    uint32_t seed = 12345;
    auto next = [&seed] {
        seed = seed * 1664525u + 1013904223u;
        return static_cast<float>(static_cast<int32_t>(seed >> 8) - (1 << 23)) / static_cast<float>(1 << 23);
    };
    std::vector<float> w(static_cast<size_t>(rows * cols)), x(static_cast<size_t>(tokens * cols));
    for (float& v : w) v = next();
    for (float& v : x) v = next();
    auto fail = [&](const std::string& why) {
        b.xmx = false;
        b.xmxNote = "XMX (Intel matrix engines) left unused: " + why;
        (void)takeError();
    };
    auto input = uploadFloats(x);
    if (!input) return fail("no memory for the check (" + input.error() + ")");
    for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q8_0}) {
        std::vector<unsigned char> bytes(rowBytes(type, cols) * static_cast<size_t>(rows));
        for (int64_t r = 0; r < rows; ++r)
            ref::quantizeRow(type, &w[static_cast<size_t>(r * cols)], bytes.data() + r * rowBytes(type, cols), cols);
        const Matrix m{type, bytes.data(), rows, cols};
        const Matrix* parts[] = {&m};
        auto weight = upload(parts);
        if (!weight) return fail("upload failed (" + weight.error() + ")");
        std::vector<float> got[2];
        for (int pass = 0; pass < 2; ++pass) {  // 0: XMX, 1: the portable kernels
            auto out = alloc(static_cast<size_t>(tokens * rows) * sizeof(float));
            if (!out) return fail("no memory for the check (" + out.error() + ")");
            b.xmx = pass == 0;
            matmul(*weight, *input, cols, tokens, *out, rows, 0, false);
            got[pass].resize(static_cast<size_t>(tokens * rows));
            read(*out, 0, got[pass].data(), got[pass].size() * sizeof(float));
        }
        b.xmx = true;
        const std::string err = takeError();
        if (!err.empty()) return fail(err);
        float scale = 0, diff = 0;
        for (size_t i = 0; i < got[0].size(); ++i) {
            scale = std::max(scale, std::fabs(got[1][i]));
            diff = std::max(diff, std::fabs(got[0][i] - got[1][i]));
        }
        if (!(diff <= 1e-4f * scale))
            return fail(std::string(typeName(type)) + " products differ from the portable kernels' by " +
                        std::to_string(diff) + " of " + std::to_string(scale));
    }
}

}  // namespace kernels::opencl
