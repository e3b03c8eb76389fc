// Kernels that the emulation's self-test launches: correct ones whose results it checks, and ones
// that break a rule of the CUDA model, which the emulation must report.
#include "../../src/common.cuh"

extern "C" __global__ void st_block_sum(const float* x, float* out, int n) {
    __shared__ float scratch[32];
    float v = 0.f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) v += x[(long long) blockIdx.x * n + i];
    float s = block_sum(v, scratch);
    if (threadIdx.x == 0) out[blockIdx.x] = s;
}

// every block adds its thread count: blocks run on several OS threads at once
extern "C" __global__ void st_atomic_count(float* counter) { atomicAdd(counter, 1.f); }

// threads below 16 wait at a barrier while the others wait for them in a shuffle
extern "C" __global__ void st_divergent(float* out) {
    float v = (float) threadIdx.x;
    if (threadIdx.x < 16) __syncthreads();
    else v = __shfl_xor_sync(0xffffffffu, v, 1);
    out[threadIdx.x] = v;
}

// a full-warp shuffle (for blocks of fewer than 32 threads: lanes that do not exist)
extern "C" __global__ void st_full_shuffle(float* out) { out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, (float) threadIdx.x, 1); }

// lane 3 exits before its warp's full-mask shuffle
extern "C" __global__ void st_exited_lane(float* out) {
    if (threadIdx.x == 3) return;
    out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, (float) threadIdx.x, 1);
}

// reads dynamic shared memory nobody wrote (poisoned: NaN)
extern "C" __global__ void st_read_shared(float* out) {
    DINOJ_DYNAMIC_SHARED(float, smem);
    out[threadIdx.x] = smem[threadIdx.x];
}

// writes element `at` of dynamic shared memory
extern "C" __global__ void st_write_shared(int at) {
    DINOJ_DYNAMIC_SHARED(float, smem);
    if (threadIdx.x == 0) smem[at] = 1.f;
}

// writes out[0..n) with a grid-stride loop; n past the allocation writes out of bounds
extern "C" __global__ void st_fill(float* out, long long n, float v) {
    DINOJ_FOR(i, n) out[i] = v;
}

#include "../registry.h"

namespace {
const dinoj_emu::KernelEntry kernels[] = {
    DINOJ_KERNEL(st_block_sum) DINOJ_KERNEL(st_atomic_count) DINOJ_KERNEL(st_divergent) DINOJ_KERNEL(st_full_shuffle)
    DINOJ_KERNEL(st_exited_lane) DINOJ_KERNEL(st_read_shared) DINOJ_KERNEL(st_write_shared) DINOJ_KERNEL(st_fill)
};
}  // namespace

extern "C" const dinoj_emu::KernelEntry* dinoj_emu_find_kernel(const char* name) { return dinoj_emu::find(kernels, name); }
