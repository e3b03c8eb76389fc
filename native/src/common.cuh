// Shared helpers of the dinoj kernels: strided index arithmetic for tensors of up to 8 dimensions and
// warp/block reductions. Every kernel is extern "C" so that Java finds it by name in the fatbin.
#pragma once
#include <cstdint>
#ifdef DINOJ_HOST_EMULATION
// compiled as host C++ for the emulation (native/emulation): CUDA's built-ins come from there
#include "../emulation/cuda_host.h"
#define DINOJ_DYNAMIC_SHARED(type, name) DINOJ_HOST_DYNAMIC_SHARED(type, name)
#else
#include <cuda_runtime.h>
// The block's dynamic shared memory (sized by the launch) as an array of `type`.
#define DINOJ_DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#endif

#define DINOJ_MAX_DIMS 8

// A tensor's shape (after the Java side merged dimensions that can be walked as one).
struct Shape8 {
    int ndim;
    int size[DINOJ_MAX_DIMS];
};

// One operand's element strides for a Shape8 (its base pointer already includes the view's offset).
struct Strides8 {
    int s[DINOJ_MAX_DIMS];
};

// Element offset of linear (row-major) index i of shape sh in an operand with strides st.
__device__ __forceinline__ long long strided_offset(long long i, const Shape8& sh, const Strides8& st) {
    long long off = 0;
    for (int d = sh.ndim - 1; d >= 0; --d) {
        int n = sh.size[d];
        long long q = i / n;
        off += (i - q * n) * (long long) st.s[d];
        i = q;
    }
    return off;
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ double warp_sum(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over the whole block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
// scratch must hold 32 values. The order of additions is fixed, so results are deterministic.
template <typename T>
__device__ __forceinline__ T block_sum(T v, T* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    T r = lane < warps ? scratch[lane] : T(0);
    return warp_sum(r);
}

__device__ __forceinline__ float block_max(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float r = lane < warps ? scratch[lane] : -INFINITY;
    return warp_max(r);
}

// Grid-stride loop over n elements.
#define DINOJ_FOR(i, n) for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
                             i += (long long) blockDim.x * gridDim.x)
