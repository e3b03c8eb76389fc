// Fused multi-head attention, forward and backward (FlashAttention-2's algorithm in FP32 on CUDA cores).
//
// Layout: Q, K, V, O and their gradients are contiguous [BH, N, D] (batch x heads, tokens, head dim);
// lse and delta are [BH, N]. D is a template parameter: 32, 64 or 128. N is any token count >= 1:
// partial tiles are padded with zeros and masked.
//
// Grids are 1-D: block b works on tile b % T of (batch x head) b / T, T = ceil(N/32) tiles per head,
// so batch x heads is not held to gridDim.y's 65535 (1024 images x 8 local crops x 12 heads is 98304);
// gridDim.x allows 2^31 - 1 blocks.
//
// Forward (attn_fwd_dD): grid ceil(N/32) * BH, 128 threads. A block keeps its 32 query rows in
// shared memory and streams K and V in tiles of 32 keys (one shared buffer, reused for K then V).
// Four threads share a query row: each scores 8 of the tile's keys, the row's running max and sum are
// combined with warp shuffles (online softmax), and each thread accumulates D/4 output columns in
// registers. O = acc / l and lse = m + log(l) are written once at the end: the N x N probabilities are
// never stored.
//
// Backward, recomputing the probabilities from lse (P = exp(S*scale - lse)):
//   attn_bwd_delta:  delta = rowsum(dO * O), one warp per row;
//   attn_bwd_dkdv_dD: grid ceil(N/32) * BH: a block owns 32 keys and walks every query tile:
//                     dV += P^T dO, dS = P * (dO V^T - delta), dK += scale * dS^T Q;
//   attn_bwd_dq_dD:   grid ceil(N/32) * BH: a block owns 32 queries and walks every key tile:
//                     dQ += scale * dS K.
// Splitting dQ from dK/dV costs one more pass of S but needs no atomics, so gradients are
// deterministic. Shared memory: forward 37 KB at D = 128, backward up to 75 KB (dynamic, opted in by
// the Java side with cuFuncSetAttribute; all of sm_80..sm_90 allow >= 99 KB).
//
// attn_probs: the probabilities themselves [BH, N, N] from Q, K and lse, one thread per entry, for
// attention maps only (not on the training path); grid ceil(N*N/256) * BH.
#include "common.cuh"

namespace {
constexpr int BR = 32, BC = 32, NT = 128;

// The (batch x head) and the tile within it of this block, when each head has ceil(N / rows) tiles
// numbered consecutively on gridDim.x.
__device__ __forceinline__ void block_tile(int N, int rows, long long& bh, int& tile) {
    long long tiles = (N + rows - 1) / rows;
    bh = (long long) blockIdx.x / tiles;
    tile = (int) ((long long) blockIdx.x - bh * tiles);
}

template <int D>
__device__ __forceinline__ void load_tile(float* dst, const float* src, int row0, int rows, int N) {
    for (int idx = threadIdx.x; idx < rows * D; idx += NT) {
        int i = idx / D, d = idx - i * D;
        dst[i * (D + 1) + d] = row0 + i < N ? src[(long long) (row0 + i) * D + d] : 0.f;
    }
}

template <int D>
__device__ __forceinline__ float dot_rows(const float* a, const float* b) {
    float s = 0.f;
#pragma unroll 8
    for (int d = 0; d < D; ++d) s = fmaf(a[d], b[d], s);
    return s;
}

template <int D>
__device__ void fwd(const float* Q, const float* K, const float* V, float* O, float* lse, int N, float scale) {
    DINOJ_DYNAMIC_SHARED(float, smem);
    float* Qs = smem;
    float* KVs = Qs + BR * (D + 1);
    float* Ps = KVs + BC * (D + 1);
    long long bh;
    int tile;
    block_tile(N, BR, bh, tile);
    const float* Qb = Q + bh * N * D;
    const float* Kb = K + bh * N * D;
    const float* Vb = V + bh * N * D;
    int q0 = tile * BR, t = threadIdx.x, r = t >> 2, sub = t & 3;
    load_tile<D>(Qs, Qb, q0, BR, N);
    float m = -INFINITY, l = 0.f, acc[D / 4];
#pragma unroll
    for (int k = 0; k < D / 4; ++k) acc[k] = 0.f;
    for (int k0 = 0; k0 < N; k0 += BC) {
        __syncthreads();
        load_tile<D>(KVs, Kb, k0, BC, N);
        __syncthreads();
        float s[BC / 4], mt = -INFINITY;
#pragma unroll
        for (int jj = 0; jj < BC / 4; ++jj) {
            int j = sub + 4 * jj;
            s[jj] = k0 + j < N ? dot_rows<D>(Qs + r * (D + 1), KVs + j * (D + 1)) * scale : -INFINITY;
            mt = fmaxf(mt, s[jj]);
        }
        mt = fmaxf(mt, __shfl_xor_sync(0xffffffffu, mt, 1));
        mt = fmaxf(mt, __shfl_xor_sync(0xffffffffu, mt, 2));
        float mNew = fmaxf(m, mt), ls = 0.f;
#pragma unroll
        for (int jj = 0; jj < BC / 4; ++jj) {
            float p = expf(s[jj] - mNew);
            Ps[r * (BC + 1) + sub + 4 * jj] = p;
            ls += p;
        }
        ls += __shfl_xor_sync(0xffffffffu, ls, 1);
        ls += __shfl_xor_sync(0xffffffffu, ls, 2);
        float alpha = m == -INFINITY ? 0.f : expf(m - mNew);
        l = l * alpha + ls;
        m = mNew;
#pragma unroll
        for (int k = 0; k < D / 4; ++k) acc[k] *= alpha;
        __syncthreads();
        load_tile<D>(KVs, Vb, k0, BC, N);
        __syncthreads();
        for (int j = 0; j < BC; ++j) {
            float p = Ps[r * (BC + 1) + j];
            const float* vrow = KVs + j * (D + 1) + sub;
#pragma unroll
            for (int k = 0; k < D / 4; ++k) acc[k] = fmaf(p, vrow[4 * k], acc[k]);
        }
    }
    if (q0 + r < N) {
        float inv = 1.f / l;
        float* orow = O + (bh * N + q0 + r) * D + sub;
#pragma unroll
        for (int k = 0; k < D / 4; ++k) orow[4 * k] = acc[k] * inv;
        if (sub == 0) lse[bh * N + q0 + r] = m + logf(l);
    }
}

template <int D>
__device__ void bwd_dkdv(const float* Q, const float* K, const float* V, const float* dO, const float* lse, const float* delta,
                         float* dK, float* dV, int N, float scale) {
    DINOJ_DYNAMIC_SHARED(float, smem);
    float* Ks = smem;
    float* Vs = Ks + BC * (D + 1);
    float* Qs = Vs + BC * (D + 1);
    float* dOs = Qs + BR * (D + 1);
    float* Ps = dOs + BR * (D + 1);
    float* dSs = Ps + BR * (BC + 1);
    float* lses = dSs + BR * (BC + 1);
    float* dels = lses + BR;
    long long bh;
    int tile;
    block_tile(N, BC, bh, tile);
    long long base = bh * N * D;
    int k0 = tile * BC, t = threadIdx.x, j = t >> 2, sub = t & 3;
    load_tile<D>(Ks, K + base, k0, BC, N);
    load_tile<D>(Vs, V + base, k0, BC, N);
    float adk[D / 4], adv[D / 4];
#pragma unroll
    for (int k = 0; k < D / 4; ++k) adk[k] = adv[k] = 0.f;
    bool keyValid = k0 + j < N;
    for (int q0 = 0; q0 < N; q0 += BR) {
        __syncthreads();
        load_tile<D>(Qs, Q + base, q0, BR, N);
        load_tile<D>(dOs, dO + base, q0, BR, N);
        if (t < BR) {
            lses[t] = q0 + t < N ? lse[bh * N + q0 + t] : INFINITY;
            dels[t] = q0 + t < N ? delta[bh * N + q0 + t] : 0.f;
        }
        __syncthreads();
#pragma unroll
        for (int ii = 0; ii < BR / 4; ++ii) {
            int i = sub + 4 * ii;
            float p = 0.f, ds = 0.f;
            if (keyValid && q0 + i < N) {
                float s = dot_rows<D>(Qs + i * (D + 1), Ks + j * (D + 1)) * scale;
                p = expf(s - lses[i]);
                float dp = dot_rows<D>(dOs + i * (D + 1), Vs + j * (D + 1));
                ds = p * (dp - dels[i]);
            }
            Ps[i * (BC + 1) + j] = p;
            dSs[i * (BC + 1) + j] = ds;
        }
        __syncthreads();
        for (int i = 0; i < BR; ++i) {
            float p = Ps[i * (BC + 1) + j], ds = dSs[i * (BC + 1) + j];
            const float* dorow = dOs + i * (D + 1) + sub;
            const float* qrow = Qs + i * (D + 1) + sub;
#pragma unroll
            for (int k = 0; k < D / 4; ++k) {
                adv[k] = fmaf(p, dorow[4 * k], adv[k]);
                adk[k] = fmaf(ds, qrow[4 * k], adk[k]);
            }
        }
    }
    if (keyValid) {
        float* dkrow = dK + base + (long long) (k0 + j) * D + sub;
        float* dvrow = dV + base + (long long) (k0 + j) * D + sub;
#pragma unroll
        for (int k = 0; k < D / 4; ++k) {
            dkrow[4 * k] = adk[k] * scale;
            dvrow[4 * k] = adv[k];
        }
    }
}

template <int D>
__device__ void bwd_dq(const float* Q, const float* K, const float* V, const float* dO, const float* lse, const float* delta,
                       float* dQ, int N, float scale) {
    DINOJ_DYNAMIC_SHARED(float, smem);
    float* Qs = smem;
    float* dOs = Qs + BR * (D + 1);
    float* Ks = dOs + BR * (D + 1);
    float* Vs = Ks + BC * (D + 1);
    float* dSs = Vs + BC * (D + 1);
    long long bh;
    int tile;
    block_tile(N, BR, bh, tile);
    long long base = bh * N * D;
    int q0 = tile * BR, t = threadIdx.x, i = t >> 2, sub = t & 3;
    load_tile<D>(Qs, Q + base, q0, BR, N);
    load_tile<D>(dOs, dO + base, q0, BR, N);
    bool rowValid = q0 + i < N;
    float li = rowValid ? lse[bh * N + q0 + i] : INFINITY;
    float di = rowValid ? delta[bh * N + q0 + i] : 0.f;
    float adq[D / 4];
#pragma unroll
    for (int k = 0; k < D / 4; ++k) adq[k] = 0.f;
    for (int k0 = 0; k0 < N; k0 += BC) {
        __syncthreads();
        load_tile<D>(Ks, K + base, k0, BC, N);
        load_tile<D>(Vs, V + base, k0, BC, N);
        __syncthreads();
#pragma unroll
        for (int jj = 0; jj < BC / 4; ++jj) {
            int j = sub + 4 * jj;
            float ds = 0.f;
            if (rowValid && k0 + j < N) {
                float s = dot_rows<D>(Qs + i * (D + 1), Ks + j * (D + 1)) * scale;
                float p = expf(s - li);
                float dp = dot_rows<D>(dOs + i * (D + 1), Vs + j * (D + 1));
                ds = p * (dp - di);
            }
            dSs[i * (BC + 1) + j] = ds;
        }
        __syncthreads();
        for (int j = 0; j < BC; ++j) {
            float ds = dSs[i * (BC + 1) + j];
            const float* krow = Ks + j * (D + 1) + sub;
#pragma unroll
            for (int k = 0; k < D / 4; ++k) adq[k] = fmaf(ds, krow[4 * k], adq[k]);
        }
    }
    if (rowValid) {
        float* dqrow = dQ + base + (long long) (q0 + i) * D + sub;
#pragma unroll
        for (int k = 0; k < D / 4; ++k) dqrow[4 * k] = adq[k] * scale;
    }
}
}  // namespace

// One extern "C" entry point per head dim, written out so that each kernel's name appears in the source.
extern "C" __global__ void __launch_bounds__(NT) attn_fwd_d32(const float* Q, const float* K, const float* V, float* O, float* lse,
                                                            int N, float scale) {
    fwd<32>(Q, K, V, O, lse, N, scale);
}
extern "C" __global__ void __launch_bounds__(NT) attn_bwd_dkdv_d32(const float* Q, const float* K, const float* V, const float* dO,
                                                                 const float* lse, const float* delta, float* dK, float* dV, int N,
                                                                 float scale) {
    bwd_dkdv<32>(Q, K, V, dO, lse, delta, dK, dV, N, scale);
}
extern "C" __global__ void __launch_bounds__(NT) attn_bwd_dq_d32(const float* Q, const float* K, const float* V, const float* dO,
                                                               const float* lse, const float* delta, float* dQ, int N, float scale) {
    bwd_dq<32>(Q, K, V, dO, lse, delta, dQ, N, scale);
}
extern "C" __global__ void __launch_bounds__(NT) attn_fwd_d64(const float* Q, const float* K, const float* V, float* O, float* lse,
                                                            int N, float scale) {
    fwd<64>(Q, K, V, O, lse, N, scale);
}
extern "C" __global__ void __launch_bounds__(NT) attn_bwd_dkdv_d64(const float* Q, const float* K, const float* V, const float* dO,
                                                                 const float* lse, const float* delta, float* dK, float* dV, int N,
                                                                 float scale) {
    bwd_dkdv<64>(Q, K, V, dO, lse, delta, dK, dV, N, scale);
}
extern "C" __global__ void __launch_bounds__(NT) attn_bwd_dq_d64(const float* Q, const float* K, const float* V, const float* dO,
                                                               const float* lse, const float* delta, float* dQ, int N, float scale) {
    bwd_dq<64>(Q, K, V, dO, lse, delta, dQ, N, scale);
}
extern "C" __global__ void __launch_bounds__(NT) attn_fwd_d128(const float* Q, const float* K, const float* V, float* O, float* lse,
                                                            int N, float scale) {
    fwd<128>(Q, K, V, O, lse, N, scale);
}
extern "C" __global__ void __launch_bounds__(NT) attn_bwd_dkdv_d128(const float* Q, const float* K, const float* V, const float* dO,
                                                                 const float* lse, const float* delta, float* dK, float* dV, int N,
                                                                 float scale) {
    bwd_dkdv<128>(Q, K, V, dO, lse, delta, dK, dV, N, scale);
}
extern "C" __global__ void __launch_bounds__(NT) attn_bwd_dq_d128(const float* Q, const float* K, const float* V, const float* dO,
                                                               const float* lse, const float* delta, float* dQ, int N, float scale) {
    bwd_dq<128>(Q, K, V, dO, lse, delta, dQ, N, scale);
}

// delta[row] = sum_d dO[row, d] * O[row, d]; 256 threads = 8 rows per block
extern "C" __global__ void attn_bwd_delta(const float* O, const float* dO, float* delta, long long rows, int D) {
    long long row = (long long) blockIdx.x * 8 + (threadIdx.x >> 5);
    int lane = threadIdx.x & 31;
    if (row >= rows) return;
    float s = 0.f;
    for (int d = lane; d < D; d += 32) s = fmaf(O[row * D + d], dO[row * D + d], s);
    s = warp_sum(s);
    if (lane == 0) delta[row] = s;
}

// P[bh, i, j] = exp(scale * q_i . k_j - lse[bh, i]); grid ceil(N*N/256) * BH (BH-major), 256 threads
extern "C" __global__ void attn_probs(const float* Q, const float* K, const float* lse, float* P, int N, int D, float scale) {
    long long nn = (long long) N * N, perHead = (nn + blockDim.x - 1) / blockDim.x;
    long long bh = (long long) blockIdx.x / perHead;
    long long e = ((long long) blockIdx.x - bh * perHead) * blockDim.x + threadIdx.x;
    if (e >= nn) return;
    int i = (int) (e / N), j = (int) (e - (long long) i * N);
    const float* q = Q + (bh * N + i) * D;
    const float* k = K + (bh * N + j) * D;
    float s = 0.f;
    for (int d = 0; d < D; ++d) s = fmaf(q[d], k[d], s);
    P[bh * N * N + e] = expf(s * scale - lse[bh * N + i]);
}
