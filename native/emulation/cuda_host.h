// What the kernels of native/src see of CUDA when they are compiled as host C++ for the emulation
// (g++ -DDINOJ_HOST_EMULATION; common.cuh includes this file instead of cuda_runtime.h).
//
// Each CUDA thread of a block is a fiber on one OS thread (scheduler.cpp); the built-in indices read
// the running fiber's. __syncthreads and the warp shuffles are calls into the scheduler (opaque to the
// compiler, so nothing it caches survives them), which switches to the next fiber until every thread
// concerned has arrived. __shared__ variables are per OS thread, and an OS thread runs one block at a
// time, so a block's threads share them; dynamic shared memory is sized by the launch and poisoned
// with NaN before each block.
#pragma once
#ifndef DINOJ_HOST_EMULATION
#error "cuda_host.h is for the host emulation build only"
#endif

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>

#ifdef DINOJ_LIST_KERNELS
#define __global__ DINOJ_GLOBAL_MARK  // build.sh lists the kernels from the preprocessed sources
#else
#define __global__
#endif
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __shared__ static thread_local

struct dim3 {
    unsigned int x = 1, y = 1, z = 1;
};

#define DINOJ_EMU_TLS thread_local

namespace dinoj_emu {
// The running fiber's thread index, and the running block's indices: set by the scheduler.
extern DINOJ_EMU_TLS dim3 thread_idx;
extern DINOJ_EMU_TLS dim3 block_idx, block_dim, grid_dim;
void syncthreads();
uint64_t shuffle(unsigned int mask, uint64_t bits, int mode, int arg, int width);
void* dynamic_shared();
enum { SHFL_IDX = 0, SHFL_XOR = 1, SHFL_DOWN = 2, SHFL_UP = 3 };

template <typename T>
inline T shuffle_as(unsigned int mask, T v, int mode, int arg, int width) {
    static_assert(sizeof(T) <= 8, "shuffles move at most 8 bytes");
    uint64_t bits = 0;
    memcpy(&bits, &v, sizeof(T));
    bits = shuffle(mask, bits, mode, arg, width);
    T out;
    memcpy(&out, &bits, sizeof(T));
    return out;
}
}  // namespace dinoj_emu

#define threadIdx (::dinoj_emu::thread_idx)
#define blockIdx (::dinoj_emu::block_idx)
#define blockDim (::dinoj_emu::block_dim)
#define gridDim (::dinoj_emu::grid_dim)
#define warpSize 32

// `extern __shared__ T name[]` in CUDA (common.cuh's DINOJ_DYNAMIC_SHARED).
#define DINOJ_HOST_DYNAMIC_SHARED(type, name) type* name = static_cast<type*>(::dinoj_emu::dynamic_shared())

inline void __syncthreads() { ::dinoj_emu::syncthreads(); }

template <typename T>
inline T __shfl_sync(unsigned int mask, T v, int src, int width = 32) {
    return ::dinoj_emu::shuffle_as(mask, v, ::dinoj_emu::SHFL_IDX, src, width);
}
template <typename T>
inline T __shfl_xor_sync(unsigned int mask, T v, int laneMask, int width = 32) {
    return ::dinoj_emu::shuffle_as(mask, v, ::dinoj_emu::SHFL_XOR, laneMask, width);
}
template <typename T>
inline T __shfl_down_sync(unsigned int mask, T v, unsigned int delta, int width = 32) {
    return ::dinoj_emu::shuffle_as(mask, v, ::dinoj_emu::SHFL_DOWN, (int) delta, width);
}
template <typename T>
inline T __shfl_up_sync(unsigned int mask, T v, unsigned int delta, int width = 32) {
    return ::dinoj_emu::shuffle_as(mask, v, ::dinoj_emu::SHFL_UP, (int) delta, width);
}

inline float __int_as_float(int i) {
    float f;
    memcpy(&f, &i, 4);
    return f;
}
inline int __float_as_int(float f) {
    int i;
    memcpy(&i, &f, 4);
    return i;
}
inline unsigned int __float_as_uint(float f) {
    unsigned int i;
    memcpy(&i, &f, 4);
    return i;
}
inline unsigned int __umulhi(unsigned int a, unsigned int b) { return (unsigned int) (((uint64_t) a * b) >> 32); }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
using std::max;
using std::min;

// Blocks run concurrently on several OS threads, so atomics are real ones.
template <typename F>
inline F atomic_add_float(F* p, F v) {
    F old, next;
    __atomic_load(p, &old, __ATOMIC_RELAXED);
    do {
        next = old + v;
    } while (!__atomic_compare_exchange(p, &old, &next, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return old;
}
inline float atomicAdd(float* p, float v) { return atomic_add_float(p, v); }
inline double atomicAdd(double* p, double v) { return atomic_add_float(p, v); }
inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
inline unsigned int atomicAdd(unsigned int* p, unsigned int v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
