// LayerNorm over the last dimension of contiguous [rows, C] tensors, forward (saving mean and rstd)
// and backward. Forward and the input gradient: one block per row (grid.x = rows, 128-512 threads),
// two passes (mean, then centred sum of squares: no cancellation). Weight/bias gradients: column sums
// over rows without atomics: block (32 columns x 16 row lanes), grid.x = ceil(C / 32); each thread
// walks rows lane, lane + 16, ... and the 16 partial sums are added in a fixed order (deterministic).
#include "common.cuh"

extern "C" __global__ void layernorm_fwd(const float* x, const float* w, const float* b, float* out, float* mean, float* rstd,
                                         int C, float eps) {
    __shared__ double ds[32];
    long long r = blockIdx.x;
    const float* row = x + r * C;
    double s = 0;
    for (int j = threadIdx.x; j < C; j += blockDim.x) s += row[j];
    float mu = (float) (block_sum(s, ds) / C);
    double q = 0;
    for (int j = threadIdx.x; j < C; j += blockDim.x) {
        float d = row[j] - mu;
        q += (double) d * d;
    }
    float rs = (float) (1.0 / sqrt(block_sum(q, ds) / C + (double) eps));
    float* orow = out + r * C;
    for (int j = threadIdx.x; j < C; j += blockDim.x) {
        float v = (row[j] - mu) * rs;
        if (w) v *= w[j];
        if (b) v += b[j];
        orow[j] = v;
    }
    if (threadIdx.x == 0) {
        mean[r] = mu;
        rstd[r] = rs;
    }
}

// gx = rstd * (w*gy - mean(w*gy) - xhat * mean(w*gy*xhat))
extern "C" __global__ void layernorm_bwd_dx(const float* x, const float* w, const float* mean, const float* rstd, const float* gy,
                                            float* gx, int C) {
    __shared__ double ds[32];
    long long r = blockIdx.x;
    const float* xr = x + r * C;
    const float* gr = gy + r * C;
    float mu = mean[r], rs = rstd[r];
    double a = 0, bsum = 0;
    for (int j = threadIdx.x; j < C; j += blockDim.x) {
        float wg = w ? w[j] * gr[j] : gr[j];
        a += wg;
        bsum += (double) wg * (xr[j] - mu) * rs;
    }
    float meanWg = (float) (block_sum(a, ds) / C);
    float meanWgX = (float) (block_sum(bsum, ds) / C);
    float* o = gx + r * C;
    for (int j = threadIdx.x; j < C; j += blockDim.x) {
        float wg = w ? w[j] * gr[j] : gr[j];
        float xhat = (xr[j] - mu) * rs;
        o[j] = rs * (wg - meanWg - xhat * meanWgX);
    }
}

extern "C" __global__ void layernorm_bwd_dwdb(const float* x, const float* mean, const float* rstd, const float* gy, float* gw,
                                              float* gb, long long rows, int C) {
    __shared__ float sw[16][33];
    __shared__ float sb[16][33];
    int col = blockIdx.x * 32 + threadIdx.x;
    float aw = 0, ab = 0;
    if (col < C) {
        for (long long r = threadIdx.y; r < rows; r += 16) {
            float g = gy[r * C + col];
            aw += g * (x[r * C + col] - mean[r]) * rstd[r];
            ab += g;
        }
    }
    sw[threadIdx.y][threadIdx.x] = aw;
    sb[threadIdx.y][threadIdx.x] = ab;
    __syncthreads();
    if (threadIdx.y == 0 && col < C) {
        float tw = 0, tb = 0;
        for (int k = 0; k < 16; ++k) {
            tw += sw[k][threadIdx.x];
            tb += sb[k][threadIdx.x];
        }
        if (gw) gw[col] = tw;
        if (gb) gb[col] = tb;
    }
}
