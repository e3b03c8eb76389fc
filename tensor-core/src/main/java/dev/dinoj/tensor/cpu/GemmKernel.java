package dev.dinoj.tensor.cpu;

import java.util.Arrays;

/**
 * Single-precision C = A * B + bias (or C += A * B) over strided operands:
 * A[i, k] = a[aOff + i*ars + k*acs], B[k, j] = b[bOff + k*brs + j*bcs], C[i, j] = c[cOff + i*ldc + j],
 * bias[j] = bias[biasOff + j] added to every row (null: none; only without accumulate). Transposed
 * operands are just other strides; packing makes every layout equally fast. The bias is added after
 * the products, as a separate pass over C would add it, so a fused bias gives the same bits.
 */
interface GemmKernel {
    void multiply(int m, int n, int k,
                  float[] a, int aOff, int ars, int acs,
                  float[] b, int bOff, int brs, int bcs,
                  float[] c, int cOff, int ldc,
                  boolean accumulate, float[] bias, int biasOff, boolean parallel);

    String name();

    /** C = bias on every row (zero without one): the product of an empty inner dimension. */
    static void initialise(int m, int n, float[] c, int cOff, int ldc, float[] bias, int biasOff) {
        for (int i = 0; i < m; i++) {
            int row = cOff + i * ldc;
            if (bias == null) Arrays.fill(c, row, row + n, 0f);
            else for (int j = 0; j < n; j++) c[row + j] = 0f + bias[biasOff + j];
        }
    }
}
