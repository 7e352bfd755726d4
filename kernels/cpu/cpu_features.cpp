#include "kernels/cpu_features.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define KERNELS_X86 1
#endif
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace kernels {
namespace {

#ifdef KERNELS_X86
struct Regs {
    uint32_t a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid(uint32_t leaf, uint32_t sub) {
    Regs r;
    __cpuid_count(leaf, sub, r.a, r.b, r.c, r.d);
    return r;
}

uint64_t xgetbv0() {
    uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (static_cast<uint64_t>(hi) << 32) | lo;
}

void detectX86(CpuFeatures& f) {
    const uint32_t maxLeaf = cpuid(0, 0).a;
    const Regs l1 = cpuid(1, 0);
    const bool osxsave = (l1.c >> 27) & 1;
    const uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    const bool ymmOs = (xcr0 & 0x6) == 0x6;            // SSE + AVX state
    const bool zmmOs = ymmOs && (xcr0 & 0xE0) == 0xE0; // opmask + ZMM state
    const bool amxOs = (xcr0 & 0x60000) == 0x60000;    // XTILECFG + XTILEDATA

    f.sse42 = (l1.c >> 20) & 1;
    f.avx = ((l1.c >> 28) & 1) && ymmOs;
    f.fma = ((l1.c >> 12) & 1) && ymmOs;
    f.f16c = ((l1.c >> 29) & 1) && ymmOs;
    if (maxLeaf >= 7) {
        const Regs l7 = cpuid(7, 0);
        f.avx2 = ((l7.b >> 5) & 1) && ymmOs;
        f.avx512f = ((l7.b >> 16) & 1) && zmmOs;
        f.avx512bw = ((l7.b >> 30) & 1) && zmmOs;
        f.avx512vl = ((l7.b >> 31) & 1) && zmmOs;
        f.avx512vnni = ((l7.c >> 11) & 1) && zmmOs;
        f.amxBf16 = ((l7.d >> 22) & 1) && amxOs;
        f.amxTile = ((l7.d >> 24) & 1) && amxOs;
        f.amxInt8 = ((l7.d >> 25) & 1) && amxOs;
        const Regs l71 = cpuid(7, 1);
        f.avxvnni = ((l71.a >> 4) & 1) && ymmOs;
        f.avx512bf16 = ((l71.a >> 5) & 1) && zmmOs;
    }
    if (cpuid(0x80000000u, 0).a >= 0x80000004u) {
        char brand[49] = {};
        for (uint32_t i = 0; i < 3; ++i) {
            const Regs r = cpuid(0x80000002u + i, 0);
            std::memcpy(brand + 16 * i, &r, 16);
        }
        f.brand = brand;
        const auto first = f.brand.find_first_not_of(' ');
        f.brand = first == std::string::npos ? std::string() : f.brand.substr(first);
    }
}
#endif

// Physical cores = distinct (package, core) pairs in sysfs; falls back to logical.
int countPhysicalCores(int logical) {
    std::set<std::pair<std::string, std::string>> cores;
    for (int cpu = 0; cpu < logical; ++cpu) {
        const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
        std::ifstream pkg(base + "physical_package_id"), core(base + "core_id");
        std::string p, c;
        if (!(pkg >> p) || !(core >> c)) return logical;
        cores.emplace(p, c);
    }
    return cores.empty() ? logical : static_cast<int>(cores.size());
}

CpuFeatures detect() {
    CpuFeatures f;
#ifdef KERNELS_X86
    detectX86(f);
#endif
    const unsigned hw = std::thread::hardware_concurrency();
    f.logicalCores = hw == 0 ? 1 : static_cast<int>(hw);
    f.physicalCores = countPhysicalCores(f.logicalCores);
    return f;
}

}  // namespace

HostMemory hostMemory() {
    std::ifstream in("/proc/meminfo");
    std::string key, unit;
    uint64_t value = 0;
    HostMemory m;
    while (in >> key >> value >> unit) {
        if (key == "MemTotal:") m.total = value * 1024;
        if (key == "MemAvailable:") m.available = value * 1024;
    }
    return m;
}

const CpuFeatures& cpuFeatures() {
    static const CpuFeatures features = detect();
    return features;
}

std::string cpuFeatureString(const CpuFeatures& f) {
    std::string out;
    auto add = [&out](bool on, const char* name) {
        if (!on) return;
        if (!out.empty()) out += ' ';
        out += name;
    };
    add(f.sse42, "sse4.2");
    add(f.avx, "avx");
    add(f.avx2, "avx2");
    add(f.fma, "fma");
    add(f.f16c, "f16c");
    add(f.avx512f, "avx512f");
    add(f.avx512bw, "avx512bw");
    add(f.avx512vl, "avx512vl");
    add(f.avx512vnni, "avx512vnni");
    add(f.avx512bf16, "avx512bf16");
    add(f.avxvnni, "avxvnni");
    add(f.amxTile, "amx-tile");
    add(f.amxInt8, "amx-int8");
    add(f.amxBf16, "amx-bf16");
    return out;
}

namespace {

// Linux hands out the AMX tile data state only to a process that asks for it
// (ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA); asked once, for the whole process.
bool amxPermitted() {
#if defined(__linux__) && defined(KERNELS_X86)
    static const bool granted = [] {
        constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
        return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
    }();
    return granted;
#else
    return false;
#endif
}

CpuIsa bestIsa() {
    for (int i = kCpuIsaCount - 1; i > 0; --i)
        if (cpuIsaSupported(static_cast<CpuIsa>(i))) return static_cast<CpuIsa>(i);
    return CpuIsa::Scalar;
}

// The best supported family, or the one ASSISTANT_CPU_ISA names when it is supported.
CpuIsa initialIsa() {
    const char* env = std::getenv("ASSISTANT_CPU_ISA");
    if (!env || !*env) return bestIsa();
    for (int i = 0; i < kCpuIsaCount; ++i) {
        const auto isa = static_cast<CpuIsa>(i);
        if (std::strcmp(env, cpuIsaName(isa)) != 0) continue;
        if (cpuIsaSupported(isa)) return isa;
        std::fprintf(stderr, "ASSISTANT_CPU_ISA=%s: not supported by this CPU, using %s\n", env,
                     cpuIsaName(bestIsa()));
        return bestIsa();
    }
    std::fprintf(stderr, "ASSISTANT_CPU_ISA=%s: unknown (scalar, avx2, avxvnni, avx512, avx512vnni, amx), using %s\n",
                 env, cpuIsaName(bestIsa()));
    return bestIsa();
}

std::atomic<int>& isaSlot() {
    static std::atomic<int> slot{static_cast<int>(initialIsa())};
    return slot;
}

}  // namespace

bool cpuIsaSupported(CpuIsa isa) {
    const CpuFeatures& f = cpuFeatures();
    const bool avx2 = f.avx2 && f.fma && f.f16c;
    const bool avx512 = avx2 && f.avx512f && f.avx512bw && f.avx512vl;
    switch (isa) {
        case CpuIsa::Scalar: return true;
        case CpuIsa::Avx2: return avx2;
        case CpuIsa::AvxVnni: return avx2 && f.avxvnni;
        case CpuIsa::Avx512: return avx512;
        case CpuIsa::Avx512Vnni: return avx512 && f.avx512vnni;
        case CpuIsa::Amx: return avx512 && f.avx512vnni && f.amxTile && f.amxInt8 && amxPermitted();
    }
    return false;
}

CpuIsa activeCpuIsa() { return static_cast<CpuIsa>(isaSlot().load(std::memory_order_relaxed)); }

bool setCpuIsa(CpuIsa isa) {
    if (!cpuIsaSupported(isa)) return false;
    isaSlot().store(static_cast<int>(isa), std::memory_order_relaxed);
    return true;
}

const char* cpuIsaName(CpuIsa isa) {
    switch (isa) {
        case CpuIsa::Scalar: return "scalar";
        case CpuIsa::Avx2: return "avx2";
        case CpuIsa::AvxVnni: return "avxvnni";
        case CpuIsa::Avx512: return "avx512";
        case CpuIsa::Avx512Vnni: return "avx512vnni";
        case CpuIsa::Amx: return "amx";
    }
    return "?";
}

}  // namespace kernels
