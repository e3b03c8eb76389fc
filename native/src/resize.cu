// Bicubic resize of contiguous [planes, H, W] to [planes, OH, OW] as PyTorch's upsample_bicubic2d
// (cubic convolution with A = -0.75, border pixels repeated; source coordinate scale*(dst + 0.5) - 0.5,
// or scale*dst with align_corners), weights in double as tensor-core's CPU kernel. One thread per
// output pixel, grid-stride.
#include "common.cuh"

namespace {
__device__ __forceinline__ double cubic1(double x) { return ((-0.75 + 2) * x - (-0.75 + 3)) * x * x + 1; }
__device__ __forceinline__ double cubic2(double x) { return ((-0.75 * x + 3.75) * x - 6.0) * x + 3.0; }
__device__ __forceinline__ int clampi(int v, int n) { return v < 0 ? 0 : (v >= n ? n - 1 : v); }
}  // namespace

extern "C" __global__ void resize_bicubic(const float* x, float* out, long long planes, int H, int W, int OH, int OW,
                                          int alignCorners, double scaleH, double scaleW) {
    long long total = planes * OH * OW;
    DINOJ_FOR(e, total) {
        int j = (int) (e % OW);
        int i = (int) ((e / OW) % OH);
        long long p = e / ((long long) OW * OH);
        double sy = alignCorners ? scaleH * i : scaleH * (i + 0.5) - 0.5;
        double sx = alignCorners ? scaleW * j : scaleW * (j + 0.5) - 0.5;
        int fy = (int) floor(sy), fx = (int) floor(sx);
        double ty = sy - fy, tx = sx - fx;
        double wy[4] = {cubic2(ty + 1.0), cubic1(ty), cubic1(1.0 - ty), cubic2(2.0 - ty)};
        double wx[4] = {cubic2(tx + 1.0), cubic1(tx), cubic1(1.0 - tx), cubic2(2.0 - tx)};
        const float* plane = x + p * H * W;
        double acc = 0;
        for (int u = 0; u < 4; ++u) {
            const float* row = plane + (long long) clampi(fy - 1 + u, H) * W;
            double r = 0;
            for (int v = 0; v < 4; ++v) r += wx[v] * row[clampi(fx - 1 + v, W)];
            acc += wy[u] * r;
        }
        out[e] = (float) acc;
    }
}
