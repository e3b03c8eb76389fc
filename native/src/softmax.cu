// Row softmax / log-softmax of x / T over the last dimension, and their backward, for contiguous
// [rows, cols] tensors. One block per row (grid.x = rows), 128-1024 threads (the Java side picks
// 128 for narrow rows, 512 for rows wider than 4096). Three passes over the row: max, sum of exp,
// write; rows of any width (65536-wide DINO head outputs included) stream through registers, so
// there is no shared-memory limit on the width. Deterministic (fixed-order block sums).
#include "common.cuh"

extern "C" __global__ void softmax_fwd(const float* x, float* out, int cols, float invT, int logOut) {
    __shared__ float fs[32];
    __shared__ double ds[32];
    const float* row = x + (long long) blockIdx.x * cols;
    float* orow = out + (long long) blockIdx.x * cols;
    float m = -INFINITY;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) m = fmaxf(m, row[j] * invT);
    m = block_max(m, fs);
    double s = 0;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) s += expf(row[j] * invT - m);
    s = block_sum(s, ds);
    if (logOut) {
        float lse = m + (float) log(s);
        for (int j = threadIdx.x; j < cols; j += blockDim.x) orow[j] = row[j] * invT - lse;
    } else {
        float inv = (float) (1.0 / s);
        for (int j = threadIdx.x; j < cols; j += blockDim.x) orow[j] = expf(row[j] * invT - m) * inv;
    }
}

// softmax: out = y * (g - sum(g * y)) / T; log-softmax: out = (g - exp(y) * sum(g)) / T
extern "C" __global__ void softmax_bwd(const float* y, const float* g, float* out, int cols, float invT, int logOut) {
    __shared__ double ds[32];
    long long r = (long long) blockIdx.x * cols;
    double s = 0;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) s += logOut ? (double) g[r + j] : (double) g[r + j] * y[r + j];
    float dot = (float) block_sum(s, ds);
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        float gv = g[r + j], yv = y[r + j];
        out[r + j] = (logOut ? gv - expf(yv) * dot : yv * (gv - dot)) * invT;
    }
}
