// OpenCL backend runtime: device selection, context and in-order queue, the program
// (built once per device, cached on disk), buffers, transfers, launches, profiling.
#include "cl_runtime.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "attention_cl.h"
#include "attention_prefill_cl.h"
#include "common_cl.h"
#include "encoder_cl.h"
#include "experts_cl.h"
#include "kv_shift_cl.h"
#include "matmul_cl.h"
#include "matmul_mma_cl.h"
#include "matmul_xmx_cl.h"
#include "matvec_cl.h"
#include "ops_cl.h"
#include "quantize_cl.h"

namespace kernels::opencl {
namespace {

std::string infoString(cl_device_id d, cl_device_info what) {
    size_t size = 0;
    if (clGetDeviceInfo(d, what, 0, nullptr, &size) != CL_SUCCESS || size == 0) return {};
    std::string s(size, '\0');
    clGetDeviceInfo(d, what, size, s.data(), nullptr);
    while (!s.empty() && s.back() == '\0') s.pop_back();
    return s;
}

std::string platformString(cl_platform_id p, cl_platform_info what) {
    size_t size = 0;
    if (clGetPlatformInfo(p, what, 0, nullptr, &size) != CL_SUCCESS || size == 0) return {};
    std::string s(size, '\0');
    clGetPlatformInfo(p, what, size, s.data(), nullptr);
    while (!s.empty() && s.back() == '\0') s.pop_back();
    return s;
}

std::string programSource() {
    std::string src;
    for (const char* const* pieces : {kClSource_common, kClSource_matvec, kClSource_matmul, kClSource_matmul_mma,
                                      kClSource_matmul_xmx,
                                      kClSource_ops, kClSource_quantize, kClSource_attention,
                                      kClSource_attention_prefill, kClSource_experts, kClSource_kv_shift,
                                      kClSource_encoder})
        for (int i = 0; pieces[i]; ++i) src += pieces[i];
    return src;
}

uint64_t fnv1a(const std::string& s, uint64_t h = 1469598103934665603ull) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}

std::filesystem::path cacheDir() {
    if (const char* e = std::getenv("ASSISTANT_OPENCL_CACHE"); e && *e) return e;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::filesystem::path(x) / "assistant/opencl";
    if (const char* h = std::getenv("HOME"); h && *h) return std::filesystem::path(h) / ".cache/assistant/opencl";
    return {};
}

// Intel's matrix engines (cl/matmul_xmx.cl): " -DASSISTANT_INTEL_XMX=S" with S the
// device's minimum subgroup size (8 or 16) where it has cl_intel_subgroup_matrix_multiply_
// accumulate; $ASSISTANT_OPENCL_XMX=0 leaves them out, =emulate8|emulate16 builds them with
// the instruction emulated on any device (tests the kernels on PoCL).
std::string xmxOption(cl_device_id device) {
    const std::string env = std::getenv("ASSISTANT_OPENCL_XMX") ? std::getenv("ASSISTANT_OPENCL_XMX") : "";
    if (env == "0") return {};
    if (env == "emulate8" || env == "emulate16")
        return " -DASSISTANT_INTEL_XMX=" + env.substr(7) + " -DASSISTANT_XMX_EMULATE";
    if (infoString(device, CL_DEVICE_EXTENSIONS).find("cl_intel_subgroup_matrix_multiply_accumulate") ==
        std::string::npos)
        return {};
    constexpr cl_device_info kSubGroupSizesIntel = 0x4108;  // CL_DEVICE_SUB_GROUP_SIZES_INTEL
    size_t bytes = 0;
    if (clGetDeviceInfo(device, kSubGroupSizesIntel, 0, nullptr, &bytes) != CL_SUCCESS || bytes < sizeof(size_t))
        return {};
    std::vector<size_t> sizes(bytes / sizeof(size_t));
    clGetDeviceInfo(device, kSubGroupSizesIntel, bytes, sizes.data(), nullptr);
    const size_t least = *std::min_element(sizes.begin(), sizes.end());
    return least == 8 || least == 16 ? " -DASSISTANT_INTEL_XMX=" + std::to_string(least) : std::string();
}

// Correctly rounded division where the device has it: activation scales (127 / amax)
// then round exactly as the CPU backend's.
std::string buildOptions(cl_device_id device, const std::string& platformName) {
    cl_device_fp_config fp = 0;
    clGetDeviceInfo(device, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp, &fp, nullptr);
    std::string o = "-cl-std=CL1.2";
    if (fp & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) o += " -cl-fp32-correctly-rounded-divide-sqrt";
    // NVIDIA's compiler takes inline PTX: dp4a for the int8 block sums (sm_61 and later),
    // mma.sync for the prefill products (sm_80 and later; matmul_mma.cl).
    if (platformName.find("NVIDIA") != std::string::npos) o += " -DASSISTANT_NV_DP4A -DASSISTANT_NV_MMA";
    // ASSISTANT_OPENCL_MMA=emulate[64|128]: the mma kernels with the instruction emulated
    // through local memory, on any device (slow; tests the kernels' tiling on PoCL).
    if (const char* e = std::getenv("ASSISTANT_OPENCL_MMA"); e && std::string(e).starts_with("emulate")) {
        if (o.find("ASSISTANT_NV_MMA") == std::string::npos) o += " -DASSISTANT_NV_MMA";
        o += " -DASSISTANT_MMA_EMULATE";
    }
    o += xmxOption(device);
    return o;
}

std::string buildLog(cl_program program, cl_device_id device) {
    size_t size = 0;
    clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, nullptr, &size);
    std::string log(size, '\0');
    if (size) clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, size, log.data(), nullptr);
    if (log.size() > 4000) log.resize(4000);
    return log;
}

// The compiled program of `src` for this device: from the disk cache when its key
// (platform, device, driver, options, source) matches, else built and stored.
Expected<cl_program> buildProgram(Backend::Impl& b, bool& fromCache) {
    const std::string src = programSource();
    const std::string options = buildOptions(b.device, platformString(b.platform, CL_PLATFORM_NAME));
    const char* kBuildOptions = options.c_str();
    const std::string keyText = platformString(b.platform, CL_PLATFORM_NAME) + "|" +
                                platformString(b.platform, CL_PLATFORM_VERSION) + "|" + b.name + "|" +
                                infoString(b.device, CL_DRIVER_VERSION) + "|" + kBuildOptions + "|" + src;
    char key[32];
    std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(fnv1a(keyText)));
    const std::filesystem::path dir = cacheDir();
    const std::filesystem::path file = dir.empty() ? std::filesystem::path() : dir / (std::string(key) + ".bin");
    cl_int err = CL_SUCCESS;
    fromCache = false;
    if (!file.empty()) {
        std::ifstream in(file, std::ios::binary);
        std::vector<unsigned char> bin((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!bin.empty()) {
            const unsigned char* ptr = bin.data();
            const size_t size = bin.size();
            cl_int status = CL_SUCCESS;
            cl_program p = clCreateProgramWithBinary(b.context, 1, &b.device, &size, &ptr, &status, &err);
            if (p && err == CL_SUCCESS && status == CL_SUCCESS &&
                clBuildProgram(p, 1, &b.device, kBuildOptions, nullptr, nullptr) == CL_SUCCESS) {
                fromCache = true;
                return p;
            }
            if (p) clReleaseProgram(p);  // stale or foreign binary: rebuild below
        }
    }
    const char* text = src.c_str();
    const size_t length = src.size();
    cl_program p = clCreateProgramWithSource(b.context, 1, &text, &length, &err);
    if (!p || err != CL_SUCCESS) return std::unexpected("clCreateProgramWithSource failed (" + std::to_string(err) + ")");
    err = clBuildProgram(p, 1, &b.device, kBuildOptions, nullptr, nullptr);
    // XMX kernels refused: without them. Inline PTX refused (an older GPU or driver): without
    // the mma kernels, then without any PTX (the cache key keeps the full options; Impl::mma
    // and Impl::xmx say what was built).
    for (const char* drop : {" -DASSISTANT_INTEL_XMX", " -DASSISTANT_NV_MMA", " -DASSISTANT_NV_DP4A"}) {
        if (err == CL_SUCCESS || options.find(drop) == std::string::npos) continue;
        const std::string fewer = options.substr(0, options.find(drop));
        err = clBuildProgram(p, 1, &b.device, fewer.c_str(), nullptr, nullptr);
    }
    if (err != CL_SUCCESS) {
        std::string log = buildLog(p, b.device);
        clReleaseProgram(p);
        return std::unexpected("OpenCL program build failed (" + std::to_string(err) + "): " + log);
    }
    if (!file.empty()) {
        size_t size = 0;
        if (clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, nullptr) == CL_SUCCESS && size > 0) {
            std::vector<unsigned char> bin(size);
            unsigned char* ptr = bin.data();
            if (clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof ptr, &ptr, nullptr) == CL_SUCCESS) {
                std::error_code ec;
                std::filesystem::create_directories(dir, ec);
                const std::filesystem::path tmp = file.string() + ".tmp" + std::to_string(::getpid());
                {
                    std::ofstream out(tmp, std::ios::binary);
                    out.write(reinterpret_cast<const char*>(bin.data()), static_cast<std::streamsize>(size));
                }
                std::filesystem::rename(tmp, file, ec);  // atomic: a concurrent reader sees all or nothing
                if (ec) std::filesystem::remove(tmp, ec);
            }
        }
    }
    return p;
}

}  // namespace

// ---------------------------------------------------------------------------
Buffer::~Buffer() {
    if (m_mem) clReleaseMemObject(m_mem);
}

Buffer& Buffer::operator=(Buffer&& o) noexcept {
    if (this != &o) {
        if (m_mem) clReleaseMemObject(m_mem);
        m_mem = o.m_mem;
        m_bytes = o.m_bytes;
        o.m_mem = nullptr;
        o.m_bytes = 0;
    }
    return *this;
}

Backend::Impl::~Impl() {
    releaseHolds();
    for (Pending& p : pending) clReleaseEvent(p.event);
    attnO = Buffer();
    attnMs = Buffer();
    actQ = Buffer();
    actD = Buffer();
    actS = Buffer();
    for (auto& [_, k] : kernels) clReleaseKernel(k);
    if (program) clReleaseProgram(program);
    if (queue) clReleaseCommandQueue(queue);
    if (context) clReleaseContext(context);
}

void Backend::Impl::fail(const char* what, cl_int code) {
    if (error.empty()) error = std::string(what) + " failed (OpenCL error " + std::to_string(code) + ")";
}

cl_kernel Backend::Impl::kernel(const char* kernelName) {
    auto it = kernels.find(kernelName);
    if (it != kernels.end()) return it->second;
    cl_int err = CL_SUCCESS;
    cl_kernel k = clCreateKernel(program, kernelName, &err);
    if (err != CL_SUCCESS) {
        fail(kernelName, err);
        return nullptr;
    }
    kernels.emplace(kernelName, k);
    return k;
}

bool Backend::Impl::setArg(cl_kernel k, cl_uint index, const Buffer& buf) {
    cl_mem m = buf.get();
    const cl_int err = clSetKernelArg(k, index, sizeof(cl_mem), m ? &m : nullptr);
    if (err != CL_SUCCESS) fail("clSetKernelArg", err);
    return err == CL_SUCCESS;
}
bool Backend::Impl::setArg(cl_kernel k, cl_uint index, int v) {
    const cl_int err = clSetKernelArg(k, index, sizeof v, &v);
    if (err != CL_SUCCESS) fail("clSetKernelArg", err);
    return err == CL_SUCCESS;
}
bool Backend::Impl::setArg(cl_kernel k, cl_uint index, float v) {
    const cl_int err = clSetKernelArg(k, index, sizeof v, &v);
    if (err != CL_SUCCESS) fail("clSetKernelArg", err);
    return err == CL_SUCCESS;
}

void Backend::Impl::launch(const char* kernelName, cl_kernel k, cl_uint dims, const size_t* global,
                           const size_t* local, double bytes) {
    quantized = {};
    if (!k) return;
    size_t rounded[3];
    for (cl_uint d = 0; d < dims; ++d) {
        const size_t l = local ? local[d] : 1;
        rounded[d] = (global[d] + l - 1) / l * l;
        if (rounded[d] == 0) return;  // nothing to do
    }
    cl_event ev = nullptr;
    const cl_int err = clEnqueueNDRangeKernel(queue, k, dims, nullptr, rounded, local, 0, nullptr,
                                              profiling ? &ev : nullptr);
    if (err != CL_SUCCESS) {
        fail(kernelName, err);
        return;
    }
    if (profiling && ev) pending.push_back({ev, kernelName, bytes});
    if (flushEvery > 0 && ++sinceFlush >= flushEvery) {
        clFlush(queue);
        sinceFlush = 0;
    }
}

bool Backend::Impl::growActivations(size_t values, size_t groups) {
    auto grow = [&](Buffer& b, size_t bytes) {
        if (b.bytes() >= bytes) return true;
        cl_int err = CL_SUCCESS;
        cl_mem m = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, nullptr, &err);
        if (!m || err != CL_SUCCESS) return false;
        b = Buffer(m, bytes);
        return true;
    };
    return grow(actQ, values) && grow(actD, groups * 4) && grow(actS, groups * 2);
}

// ---------------------------------------------------------------------------
Backend::Backend(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Backend::~Backend() = default;

Expected<std::unique_ptr<Backend>> Backend::create(const std::string& deviceId, bool profiling) {
    unsigned p = 0, d = 0;
    if (std::sscanf(deviceId.c_str(), "opencl:%u.%u", &p, &d) != 2)
        return std::unexpected("'" + deviceId + "' is not an OpenCL device id (opencl:P.D)");
    cl_uint platformCount = 0;
    if (clGetPlatformIDs(0, nullptr, &platformCount) != CL_SUCCESS || platformCount == 0)
        return std::unexpected(std::string("no OpenCL platform is installed"));
    std::vector<cl_platform_id> platforms(platformCount);
    clGetPlatformIDs(platformCount, platforms.data(), nullptr);
    if (p >= platformCount) return std::unexpected("no OpenCL platform " + std::to_string(p));
    cl_uint deviceCount = 0;
    if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, nullptr, &deviceCount) != CL_SUCCESS || d >= deviceCount)
        return std::unexpected("no OpenCL device " + deviceId);
    std::vector<cl_device_id> devices(deviceCount);
    clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, deviceCount, devices.data(), nullptr);

    auto impl = std::make_unique<Impl>();
    impl->id = deviceId;
    impl->platform = platforms[p];
    impl->device = devices[d];
    impl->name = infoString(impl->device, CL_DEVICE_NAME);
    impl->profiling = profiling;
    cl_device_type type = 0;
    clGetDeviceInfo(impl->device, CL_DEVICE_TYPE, sizeof type, &type, nullptr);
    impl->gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
    // A flush hands the enqueued kernels to the GPU while the host enqueues the rest of the
    // token. H200 (NVIDIA 580), decode tokens/s, flush never / every 4 / 8 / 16 / 32
    // launches: TinyLlama Q4_0 730 (658-771) / 762 / 739 / 751 / 725, Llama-3-8B Q4_0
    // 302.5 / 308.2 / 306.8 / 307.5 / 307.1; every launch 437 (bench/RESULTS.md).
    impl->flushEvery = impl->gpu ? 8 : 0;
    if (const char* f = std::getenv("ASSISTANT_OPENCL_FLUSH"); f && *f) impl->flushEvery = std::atoi(f);
    cl_ulong mem = 0, maxAlloc = 0;
    clGetDeviceInfo(impl->device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof mem, &mem, nullptr);
    clGetDeviceInfo(impl->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof maxAlloc, &maxAlloc, nullptr);
    clGetDeviceInfo(impl->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof impl->computeUnits, &impl->computeUnits, nullptr);
    impl->memory = mem;
    impl->maxAlloc = maxAlloc;
    size_t maxWg = 0;
    clGetDeviceInfo(impl->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof maxWg, &maxWg, nullptr);
    if (maxWg < 256) return std::unexpected(impl->name + ": work-groups of 256 items are needed, the device allows " +
                                            std::to_string(maxWg));

    cl_int err = CL_SUCCESS;
    const cl_context_properties props[] = {CL_CONTEXT_PLATFORM, reinterpret_cast<cl_context_properties>(impl->platform),
                                           0};
    impl->context = clCreateContext(props, 1, &impl->device, nullptr, nullptr, &err);
    if (!impl->context) return std::unexpected("clCreateContext failed (" + std::to_string(err) + ")");
    const cl_queue_properties qprops[] = {CL_QUEUE_PROPERTIES,
                                          profiling ? static_cast<cl_queue_properties>(CL_QUEUE_PROFILING_ENABLE) : 0,
                                          0};
    impl->queue = clCreateCommandQueueWithProperties(impl->context, impl->device, qprops, &err);
    if (!impl->queue) return std::unexpected("clCreateCommandQueue failed (" + std::to_string(err) + ")");
    auto program = buildProgram(*impl, impl->fromCache);
    if (!program) return std::unexpected(program.error());
    impl->program = *program;
    // The tensor-core products when the program has them.
    cl_int probe = CL_SUCCESS;
    if (cl_kernel k = clCreateKernel(impl->program, "matmul_q4_0_mma", &probe); k && probe == CL_SUCCESS) {
        impl->kernels.emplace("matmul_q4_0_mma", k);
        // $ASSISTANT_OPENCL_MMA: 0 off; [emulate]64 / [emulate]128: that many rows per
        // work-group for every matrix (else chosen by the matrix)
        const char* env = std::getenv("ASSISTANT_OPENCL_MMA");
        const std::string e = env ? env : "";
        impl->mma = e != "0";
        if (e.ends_with("128")) impl->mmaTileRows = 128;
        else if (e.ends_with("64")) impl->mmaTileRows = 64;
    }
    // Intel's matrix engines when the program has them, once their results match the
    // portable kernels' on this device (cl_xmx_check.cpp).
    if (cl_kernel k = clCreateKernel(impl->program, "matmul_q8_0_xmx", &probe); k && probe == CL_SUCCESS) {
        impl->kernels.emplace("matmul_q8_0_xmx", k);
        impl->xmx = true;
        const std::string o = xmxOption(impl->device);
        impl->xmxSubgroup = o.find("XMX=16") != std::string::npos ? 16 : 8;
    }
    auto backend = std::unique_ptr<Backend>(new Backend(std::move(impl)));
    if (backend->m_impl->xmx) backend->checkXmx();
    return backend;
}

const std::string& Backend::deviceId() const { return m_impl->id; }
const std::string& Backend::deviceName() const { return m_impl->name; }
bool Backend::isGpu() const { return m_impl->gpu; }
uint64_t Backend::memoryBytes() const { return m_impl->memory; }
uint64_t Backend::maxAllocBytes() const { return m_impl->maxAlloc; }
bool Backend::programFromCache() const { return m_impl->fromCache; }
bool Backend::matrixUnits() const { return m_impl->mma || m_impl->xmx; }
std::string Backend::matrixUnitsNote() const {
    if (m_impl->mma) return "mma.sync (NVIDIA tensor cores)";
    if (m_impl->xmx) return "XMX (Intel matrix engines)";
    return m_impl->xmxNote;
}
std::mutex& Backend::lock() { return m_impl->mutex; }

std::string Backend::takeError() {
    std::string e = std::move(m_impl->error);
    m_impl->error.clear();
    return e;
}

Expected<Buffer> Backend::alloc(size_t bytes) {
    if (bytes == 0) bytes = 4;
    if (bytes > m_impl->maxAlloc)
        return std::unexpected("a buffer of " + std::to_string(bytes) + " bytes exceeds the device's largest (" +
                               std::to_string(m_impl->maxAlloc) + ")");
    cl_int err = CL_SUCCESS;
    cl_mem m = clCreateBuffer(m_impl->context, CL_MEM_READ_WRITE, bytes, nullptr, &err);
    if (!m || err != CL_SUCCESS)
        return std::unexpected("clCreateBuffer(" + std::to_string(bytes) + " bytes) failed (" + std::to_string(err) + ")");
    return Buffer(m, bytes);
}

Expected<Buffer> Backend::uploadFloats(std::span<const float> values) {
    auto b = alloc(values.size_bytes());
    if (!b) return b;
    std::lock_guard<std::mutex> g(m_impl->mutex);
    write(*b, 0, values.data(), values.size_bytes());
    if (std::string e = takeError(); !e.empty()) return std::unexpected(e);
    return b;
}

void Backend::write(const Buffer& dst, size_t offset, const void* src, size_t bytes) {
    m_impl->quantized = {};
    m_impl->releaseHolds();
    if (bytes == 0) return;
    const cl_int err = clEnqueueWriteBuffer(m_impl->queue, dst.get(), CL_TRUE, offset, bytes, src, 0, nullptr, nullptr);
    if (err != CL_SUCCESS) m_impl->fail("clEnqueueWriteBuffer", err);
}

void Backend::read(const Buffer& src, size_t offset, void* dst, size_t bytes) {
    m_impl->releaseHolds();
    if (bytes == 0) return;
    const cl_int err = clEnqueueReadBuffer(m_impl->queue, src.get(), CL_TRUE, offset, bytes, dst, 0, nullptr, nullptr);
    if (err != CL_SUCCESS) m_impl->fail("clEnqueueReadBuffer", err);
}

void Backend::copy(const Buffer& src, size_t srcOffset, const Buffer& dst, size_t dstOffset, size_t bytes) {
    m_impl->quantized = {};  // it may overwrite the row a fused quantization described
    if (bytes == 0) return;
    const cl_int err =
        clEnqueueCopyBuffer(m_impl->queue, src.get(), dst.get(), srcOffset, dstOffset, bytes, 0, nullptr, nullptr);
    if (err != CL_SUCCESS) m_impl->fail("clEnqueueCopyBuffer", err);
}

void Backend::flush() {
    const cl_int err = clFlush(m_impl->queue);
    if (err != CL_SUCCESS) m_impl->fail("clFlush", err);
}

void Backend::finish() {
    m_impl->releaseHolds();
    const cl_int err = clFinish(m_impl->queue);
    if (err != CL_SUCCESS) m_impl->fail("clFinish", err);
}

std::vector<KernelStat> Backend::takeStats() {
    finish();
    for (Impl::Pending& p : m_impl->pending) {
        cl_ulong start = 0, end = 0;
        clGetEventProfilingInfo(p.event, CL_PROFILING_COMMAND_START, sizeof start, &start, nullptr);
        clGetEventProfilingInfo(p.event, CL_PROFILING_COMMAND_END, sizeof end, &end, nullptr);
        KernelStat& s = m_impl->stats[p.name];
        s.name = p.name;
        s.calls += 1;
        s.seconds += static_cast<double>(end - start) * 1e-9;
        s.bytes += p.bytes;
        clReleaseEvent(p.event);
    }
    m_impl->pending.clear();
    std::vector<KernelStat> out;
    for (auto& [_, s] : m_impl->stats) out.push_back(s);
    m_impl->stats.clear();
    return out;
}

// ---------------------------------------------------------------------------
std::vector<float> ropeFrequencies(const RopeParams& rope) {
    const float thetaScale = std::pow(rope.freqBase, -2.0f / static_cast<float>(rope.dims));
    std::vector<float> freq(static_cast<size_t>(std::max(rope.dims / 2, 1)));
    float theta = 1.0f;
    for (size_t i = 0; i < freq.size(); ++i) {
        freq[i] = rope.freqFactors ? theta / rope.freqFactors[i] : theta;
        theta *= thetaScale;
    }
    return freq;
}

std::string firstOpenclGpu() {
    cl_uint platformCount = 0;
    if (clGetPlatformIDs(0, nullptr, &platformCount) != CL_SUCCESS || platformCount == 0) return {};
    std::vector<cl_platform_id> platforms(platformCount);
    clGetPlatformIDs(platformCount, platforms.data(), nullptr);
    for (cl_uint p = 0; p < platformCount; ++p) {
        cl_uint n = 0;
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, nullptr, &n) != CL_SUCCESS) continue;
        std::vector<cl_device_id> devices(n);
        clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, n, devices.data(), nullptr);
        for (cl_uint d = 0; d < n; ++d) {
            cl_device_type type = 0;
            clGetDeviceInfo(devices[d], CL_DEVICE_TYPE, sizeof type, &type, nullptr);
            if (type & CL_DEVICE_TYPE_GPU) return "opencl:" + std::to_string(p) + "." + std::to_string(d);
        }
    }
    return {};
}

}  // namespace kernels::opencl
