package dev.dinoj.tensor.cpu;

import java.util.Arrays;

/**
 * Cache-blocked GEMM in plain Java that HotSpot's C2 vectorizes. A block of B (KC x NC) is packed into
 * one array per row; each row of C is accumulated in an array of its own, four k-steps per pass:
 * {@code ct[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]}. Distinct arrays at one shared index are
 * what C2 needs to prove the loop free of aliasing and emit AVX code (see shared/design/CPU-KERNELS.md);
 * the 4-way k-unroll cuts the loads and stores of ct per multiply-add by four.
 */
final class PortableGemmKernel implements GemmKernel {
    private static final int KC = 128;
    private static final int NC = 512;
    private static final int MC = 32;

    @Override
    public String name() {
        return "portable";
    }

    @Override
    public void multiply(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int brs, int bcs,
                         float[] c, int cOff, int ldc, boolean accumulate, float[] bias, int biasOff, boolean parallel) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) GemmKernel.initialise(m, n, c, cOff, ldc, bias, biasOff);
            return;
        }
        int kcMax = Math.min(KC, k), ncMax = Math.min(NC, n);
        float[][] bp = new float[kcMax][ncMax];
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                packB(b, bOff + pc * brs + jc * bcs, brs, bcs, kc, nc, bp);
                int aBase = aOff + pc * acs;
                int cBase = cOff + jc;
                int blocks = (m + MC - 1) / MC;
                // first k block: the row starts from zero, not from C; last: the bias is added after the products
                boolean fromZero = pc == 0 && !accumulate;
                float[] rowBias = pc + kc == k ? bias : null;
                int rowBiasOff = biasOff + jc;
                Parallel.Range body = (s, e) -> {
                    float[] ct = new float[nc];
                    for (int blk = s; blk < e; blk++) {
                        int i1 = Math.min(m, (blk + 1) * MC);
                        for (int i = blk * MC; i < i1; i++) {
                            rowKernel(a, aBase + i * ars, acs, bp, kc, nc, c, cBase + i * ldc, ct, fromZero, rowBias, rowBiasOff);
                        }
                    }
                };
                if (parallel) Parallel.forRange(blocks, 1, (long) MC * kc * nc, body);
                else body.run(0, blocks);
            }
        }
    }

    private static void packB(float[] b, int off, int brs, int bcs, int kc, int nc, float[][] bp) {
        for (int p = 0; p < kc; p++) {
            float[] row = bp[p];
            int o = off + p * brs;
            if (bcs == 1) {
                System.arraycopy(b, o, row, 0, nc);
            } else {
                for (int j = 0; j < nc; j++) row[j] = b[o + j * bcs];
            }
        }
    }

    /** c[co .. co+nc) = (fromZero ? 0 : c) + A-row * Bblock (+ bias), through the private row accumulator ct. */
    private static void rowKernel(float[] a, int ao, int acs, float[][] bp, int kc, int nc, float[] c, int co, float[] ct,
                                  boolean fromZero, float[] bias, int biasOff) {
        if (fromZero) Arrays.fill(ct, 0f);
        else System.arraycopy(c, co, ct, 0, nc);
        int p = 0;
        for (; p + 3 < kc; p += 4) {
            float a0 = a[ao + p * acs], a1 = a[ao + (p + 1) * acs], a2 = a[ao + (p + 2) * acs], a3 = a[ao + (p + 3) * acs];
            float[] b0 = bp[p], b1 = bp[p + 1], b2 = bp[p + 2], b3 = bp[p + 3];
            for (int j = 0; j < nc; j++) {
                ct[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
            }
        }
        for (; p < kc; p++) {
            float a0 = a[ao + p * acs];
            float[] b0 = bp[p];
            for (int j = 0; j < nc; j++) ct[j] += a0 * b0[j];
        }
        if (bias != null) {
            for (int j = 0; j < nc; j++) ct[j] += bias[biasOff + j];
        }
        System.arraycopy(ct, 0, c, co, nc);
    }
}
