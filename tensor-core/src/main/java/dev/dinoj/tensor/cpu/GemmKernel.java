package dev.dinoj.tensor.cpu;

/**
 * Single-precision C = A * B (or C += A * B) over strided operands:
 * A[i, k] = a[aOff + i*ars + k*acs], B[k, j] = b[bOff + k*brs + j*bcs], C[i, j] = c[cOff + i*ldc + j].
 * Transposed operands are just other strides; packing makes every layout equally fast.
 */
interface GemmKernel {
    void multiply(int m, int n, int k,
                  float[] a, int aOff, int ars, int acs,
                  float[] b, int bOff, int brs, int bcs,
                  float[] c, int cOff, int ldc,
                  boolean accumulate, boolean parallel);

    String name();
}
