// Prints what the kernels layer sees of this machine: the header of every bench
// result (bench/RESULTS.md records it next to each table).
#include <cstdio>

#include "kernels/cpu_features.h"

int main() {
    const kernels::CpuFeatures& f = kernels::cpuFeatures();
    std::printf("cpu: %s\ncores: %d physical, %d logical\nisa: %s\n", f.brand.c_str(), f.physicalCores,
                f.logicalCores, kernels::cpuFeatureString(f).c_str());
    return 0;
}
