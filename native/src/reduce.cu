// Reductions of a strided tensor over a set of dimensions (sum, mean, max, min, argmax, argmin, var
// with a correction, L2 norm). The Java side splits x's dimensions into kept ("outer") and reduced
// ("inner") ones; one block of 256 threads reduces one output element, each thread striding over the
// inner index space, then a fixed-order block reduction (deterministic). Sums accumulate in double;
// VAR reads its inputs twice (mean, then squared deviations). ARGMAX/ARGMIN return the first index of
// the extreme value (NaN counts as the extreme, as on the CPU) counted along the single reduced
// dimension. Grid: one block per output element (grid.x up to 2^31 - 1).
#include "common.cuh"

namespace {
// Java's ReduceOp, in the same order (checked by cuda-kernels' KernelSignaturesTest).
enum class ReduceOp { SUM, MEAN, MAX, MIN, ARGMAX, ARGMIN, VAR, NORM };

// true when candidate (v, i) should replace the current best (b, bi)
__device__ __forceinline__ bool better(bool isMax, float v, long long i, float b, long long bi) {
    if (v != v) return b == b || i < bi;          // first NaN wins
    if (b != b) return false;
    if (isMax ? v > b : v < b) return true;
    return v == b && i < bi;
}
}  // namespace

extern "C" __global__ void reduce_f32(int opCode, const float* x, Shape8 outerShape, Strides8 outerStrides, Shape8 innerShape,
                                      Strides8 innerStrides, long long innerN, int correction, void* out, Strides8 outStrides) {
    const ReduceOp op = (ReduceOp) opCode;
    __shared__ double dscratch[32];
    __shared__ float fscratch[32];
    __shared__ long long iscratch[32];
    long long o = blockIdx.x;
    const float* base = x + strided_offset(o, outerShape, outerStrides);
    long long outOff = strided_offset(o, outerShape, outStrides);
    if (op == ReduceOp::SUM || op == ReduceOp::MEAN || op == ReduceOp::NORM || op == ReduceOp::VAR) {
        double acc = 0;
        for (long long i = threadIdx.x; i < innerN; i += blockDim.x) {
            double v = base[strided_offset(i, innerShape, innerStrides)];
            acc += op == ReduceOp::NORM ? v * v : v;
        }
        double total = block_sum(acc, dscratch);
        float result;
        if (op == ReduceOp::SUM) result = (float) total;
        else if (op == ReduceOp::MEAN) result = (float) (total / (double) innerN);
        else if (op == ReduceOp::NORM) result = (float) sqrt(total);
        else {
            double mean = total / (double) innerN, sq = 0;
            for (long long i = threadIdx.x; i < innerN; i += blockDim.x) {
                double d = base[strided_offset(i, innerShape, innerStrides)] - mean;
                sq += d * d;
            }
            double s = block_sum(sq, dscratch);
            long long dof = innerN - correction;
            result = dof > 0 ? (float) (s / (double) dof) : __int_as_float(0x7fc00000);
        }
        if (threadIdx.x == 0) ((float*) out)[outOff] = result;
        return;
    }
    bool isMax = op == ReduceOp::MAX || op == ReduceOp::ARGMAX;
    float best = isMax ? -INFINITY : INFINITY;
    long long bestI = 0x7fffffffffffffffLL;
    for (long long i = threadIdx.x; i < innerN; i += blockDim.x) {
        float v = base[strided_offset(i, innerShape, innerStrides)];
        if (better(isMax, v, i, best, bestI)) { best = v; bestI = i; }
    }
    // warp then block arg-reduction with index tie-breaks: the result does not depend on the order
    for (int off = 16; off > 0; off >>= 1) {
        float v = __shfl_xor_sync(0xffffffffu, best, off);
        long long vi = __shfl_xor_sync(0xffffffffu, bestI, off);
        if (better(isMax, v, vi, best, bestI)) { best = v; bestI = vi; }
    }
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    if (lane == 0) { fscratch[warp] = best; iscratch[warp] = bestI; }
    __syncthreads();
    if (warp == 0) {
        best = lane < warps ? fscratch[lane] : (isMax ? -INFINITY : INFINITY);
        bestI = lane < warps ? iscratch[lane] : 0x7fffffffffffffffLL;
        for (int off = 16; off > 0; off >>= 1) {
            float v = __shfl_xor_sync(0xffffffffu, best, off);
            long long vi = __shfl_xor_sync(0xffffffffu, bestI, off);
            if (better(isMax, v, vi, best, bestI)) { best = v; bestI = vi; }
        }
        if (lane == 0) {
            if (op == ReduceOp::MAX || op == ReduceOp::MIN) ((float*) out)[outOff] = best;
            else ((int*) out)[outOff] = bestI == 0x7fffffffffffffffLL ? 0 : (int) bestI;
        }
    }
}
