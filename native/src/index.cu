// Indexing kernels on strided views. The index tensors are int32; the Java side checks their range
// before launching (an out-of-range index never reaches a kernel).
// index_select: out = x with dimension `dim` indexed by idx; gather: out[pos] = x[pos with dim replaced
// by index[pos]]; scatter_add: out[pos with dim replaced by index[pos]] += src[pos] (float atomicAdd:
// the order of additions into one element is not fixed, so repeated indices can differ in the last
// bits between runs). One thread per element of the indexed shape, grid-stride.
#include "common.cuh"

// shape = out's shape; xs = x's strides with x's `dim` stride in xDimStride (xs.s[dim] unused)
extern "C" __global__ void index_select(const float* x, Strides8 xs, int dim, int xDimStride, const int* idx, float* out,
                                        Strides8 os, Shape8 sh, long long n) {
    DINOJ_FOR(e, n) {
        long long rem = e, xo = 0, oo = 0;
        for (int d = sh.ndim - 1; d >= 0; --d) {
            int sz = sh.size[d];
            long long q = rem / sz;
            int c = (int) (rem - q * sz);
            rem = q;
            oo += (long long) c * os.s[d];
            xo += d == dim ? (long long) idx[c] * xDimStride : (long long) c * xs.s[d];
        }
        out[oo] = x[xo];
    }
}

// shape = index's shape (contiguous index); big = x for gather, out for scatter_add
extern "C" __global__ void gather_scatter(const int* index, float* big, Strides8 bs, float* small, Strides8 ss, int dim, Shape8 sh,
                                          long long n, int scatter) {
    DINOJ_FOR(e, n) {
        long long rem = e, bo = 0, so = 0;
        int v = index[e];
        for (int d = sh.ndim - 1; d >= 0; --d) {
            int sz = sh.size[d];
            long long q = rem / sz;
            int c = (int) (rem - q * sz);
            rem = q;
            so += (long long) c * ss.s[d];
            bo += (long long) (d == dim ? v : c) * bs.s[d];
        }
        if (scatter) atomicAdd(big + bo, small[so]);
        else small[so] = big[bo];
    }
}
