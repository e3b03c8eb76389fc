// Multi-tensor kernels: one launch over a whole parameter list. The Java side uploads, once per list,
// a table of device pointers and sizes and a chunk map (chunk c covers elements
// [chunkStart[c], chunkStart[c] + CHUNK) of tensor chunkTensor[c]; a tensor's chunks are consecutive).
// Grid: one block of 256 threads per chunk; CHUNK = 4096 elements (16 per thread).
//
// mt_ema:      teacher = m * teacher + (1 - m) * student (the momentum teacher update)
// mt_adamw:    PyTorch's AdamW on param/grad/exp_avg/exp_avg_sq tables (one parameter group)
// mt_sumsq:    per-chunk sums of squares (double), then mt_norms: per-tensor L2 norms, chunks added in
//              order (deterministic); the global norm is the norm of that vector
// mt_clip:     per-tensor clipping: grad *= maxNorm / (norm + 1e-6) where that factor is < 1
// mt_scale:    grad *= factor[0] (global-norm clipping with a device-computed factor)
#include "common.cuh"

#define DINOJ_CHUNK 4096

// One element of PyTorch's AdamW (decay = 1 - lr * weightDecay, stepSize = lr / (1 - beta1^t),
// invSqrtBc2 = 1 / sqrt(1 - beta2^t)); shared by the multi-tensor and the single-tensor kernel.
__device__ __forceinline__ void adamw_element(float* p, const float* g, float* m, float* v, long long i, float beta1,
                                              float beta2, float eps, float decay, float stepSize, float invSqrtBc2) {
    float gi = g[i];
    float mi = beta1 * m[i] + (1.f - beta1) * gi;
    float vi = beta2 * v[i] + (1.f - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * decay - stepSize * mi / (sqrtf(vi) * invSqrtBc2 + eps);
}

extern "C" __global__ void mt_ema(const long long* teacher, const long long* student, const long long* sizes,
                                  const int* chunkTensor, const long long* chunkStart, float m) {
    int t = chunkTensor[blockIdx.x];
    long long start = chunkStart[blockIdx.x], end = min(start + DINOJ_CHUNK, sizes[t]);
    float* tp = (float*) teacher[t];
    const float* sp = (const float*) student[t];
    float c = 1.f - m;
    for (long long i = start + threadIdx.x; i < end; i += blockDim.x) tp[i] = tp[i] * m + sp[i] * c;
}

extern "C" __global__ void mt_adamw(const long long* params, const long long* grads, const long long* expAvg,
                                    const long long* expAvgSq, const long long* sizes, const int* chunkTensor,
                                    const long long* chunkStart, float lr, float beta1, float beta2, float eps,
                                    float weightDecay, float stepSize, float invSqrtBc2) {
    int t = chunkTensor[blockIdx.x];
    long long start = chunkStart[blockIdx.x], end = min(start + DINOJ_CHUNK, sizes[t]);
    float* p = (float*) params[t];
    const float* g = (const float*) grads[t];
    float* m = (float*) expAvg[t];
    float* v = (float*) expAvgSq[t];
    float decay = 1.f - lr * weightDecay;
    for (long long i = start + threadIdx.x; i < end; i += blockDim.x) {
        adamw_element(p, g, m, v, i, beta1, beta2, eps, decay, stepSize, invSqrtBc2);
    }
}

extern "C" __global__ void mt_sumsq(const long long* tensors, const long long* sizes, const int* chunkTensor,
                                    const long long* chunkStart, double* partial) {
    __shared__ double ds[32];
    int t = chunkTensor[blockIdx.x];
    long long start = chunkStart[blockIdx.x], end = min(start + DINOJ_CHUNK, sizes[t]);
    const float* x = (const float*) tensors[t];
    double s = 0;
    for (long long i = start + threadIdx.x; i < end; i += blockDim.x) s += (double) x[i] * x[i];
    s = block_sum(s, ds);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// one thread per tensor; firstChunk has tensors + 1 entries
extern "C" __global__ void mt_norms(const double* partial, const int* firstChunk, int tensors, float* norms) {
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= tensors) return;
    double s = 0;
    for (int c = firstChunk[t]; c < firstChunk[t + 1]; ++c) s += partial[c];
    norms[t] = (float) sqrt(s);
}

extern "C" __global__ void mt_clip(const long long* tensors, const long long* sizes, const int* chunkTensor,
                                   const long long* chunkStart, const float* norms, float maxNorm) {
    int t = chunkTensor[blockIdx.x];
    float coef = maxNorm / (norms[t] + 1e-6f);
    if (coef >= 1.f) return;
    long long start = chunkStart[blockIdx.x], end = min(start + DINOJ_CHUNK, sizes[t]);
    float* x = (float*) tensors[t];
    for (long long i = start + threadIdx.x; i < end; i += blockDim.x) x[i] *= coef;
}

extern "C" __global__ void mt_scale(const long long* tensors, const long long* sizes, const int* chunkTensor,
                                    const long long* chunkStart, const float* factor) {
    int t = chunkTensor[blockIdx.x];
    long long start = chunkStart[blockIdx.x], end = min(start + DINOJ_CHUNK, sizes[t]);
    float* x = (float*) tensors[t];
    float f = factor[0];
    for (long long i = start + threadIdx.x; i < end; i += blockDim.x) x[i] *= f;
}

// AdamW on one contiguous tensor (the Backend.adamw op); grid-stride, 256 threads.
extern "C" __global__ void adamw_single(float* p, const float* g, float* m, float* v, long long n, float lr, float beta1,
                                        float beta2, float eps, float weightDecay, float stepSize, float invSqrtBc2) {
    float decay = 1.f - lr * weightDecay;
    DINOJ_FOR(i, n) adamw_element(p, g, m, v, i, beta1, beta2, eps, decay, stepSize, invSqrtBc2);
}
