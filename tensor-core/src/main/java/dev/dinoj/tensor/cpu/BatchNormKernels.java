package dev.dinoj.tensor.cpu;

/**
 * Batch normalisation of a contiguous [N, C] (each column over the rows, in training) and its
 * backward, in a few passes over memory where the composed ops took a dozen. Column sums are taken
 * over fixed blocks of rows (float within a block, double across blocks, in block order), so the result
 * does not depend on the number of threads.
 */
final class BatchNormKernels {
    /** Rows per partial sum: short enough for float within a block, and a unit of parallel work. */
    private static final int BLOCK = 256;

    private BatchNormKernels() {}

    /** out = (x - mean) * rstd * w + b per column; writes mean, biased var and rstd ([C]). w and b may be null. */
    static void forward(float[] x, int xo, int n, int c, float[] w, int wo, float[] b, int bo, float eps, float[] out, int oo,
                        float[] mean, int mo, float[] var, int vo, float[] rstd, int ro) {
        double[] sum = columnSums(x, xo, null, 0, n, c, null);
        float[] m = new float[c];
        for (int j = 0; j < c; j++) m[j] = (float) (sum[j] / n);
        // the second pass on deviations: no cancellation when the mean is large against the spread
        double[] sq = columnSums(x, xo, null, 0, n, c, m);
        float[] scale = new float[c], shift = new float[c];
        for (int j = 0; j < c; j++) {
            double v = sq[j] / n, rs = 1.0 / Math.sqrt(v + eps);
            mean[mo + j] = m[j];
            var[vo + j] = (float) v;
            rstd[ro + j] = (float) rs;
            double s = rs * (w == null ? 1.0 : w[wo + j]);
            scale[j] = (float) s;
            shift[j] = (float) ((b == null ? 0.0 : b[bo + j]) - m[j] * s);
        }
        Parallel.forRange(n, BLOCK, c, (s, e) -> {
            for (int r = s; r < e; r++) {
                int p = xo + r * c, q = oo + r * c;
                for (int j = 0; j < c; j++) out[q + j] = x[p + j] * scale[j] + shift[j];
            }
        });
    }

    /**
     * With xhat = (x - mean) * rstd: gradBias = sum(g), gradWeight = sum(g * xhat) over the rows, and
     * gradX = rstd * w * (g - sum(g)/N - xhat * sum(g * xhat)/N). gradWeight, gradBias and w may be null.
     */
    static void backward(float[] x, int xo, float[] g, int go, int n, int c, float[] w, int wo, float[] mean, int mo, float[] rstd, int ro,
                         float[] gradX, int gxo, float[] gradWeight, int gwo, float[] gradBias, int gbo) {
        float[] m = new float[c], rs = new float[c];
        for (int j = 0; j < c; j++) {
            m[j] = mean[mo + j];
            rs[j] = rstd[ro + j];
        }
        double[] sg = columnSums(g, go, null, 0, n, c, null);
        double[] sgx = columnSums(g, go, x, xo, n, c, m);
        float[] a = new float[c], mb = new float[c], k = new float[c];
        for (int j = 0; j < c; j++) {
            double sgxhat = sgx[j] * rs[j]; // sum(g * xhat)
            if (gradBias != null) gradBias[gbo + j] = (float) sg[j];
            if (gradWeight != null) gradWeight[gwo + j] = (float) sgxhat;
            double aj = rs[j] * (w == null ? 1.0 : w[wo + j]);
            a[j] = (float) aj;
            mb[j] = (float) (sg[j] / n);
            k[j] = (float) (sgxhat / n * rs[j]); // multiplies (x - mean)
        }
        Parallel.forRange(n, BLOCK, 2L * c, (s, e) -> {
            for (int r = s; r < e; r++) {
                int p = xo + r * c, q = go + r * c, o = gxo + r * c;
                for (int j = 0; j < c; j++) gradX[o + j] = a[j] * (g[q + j] - mb[j] - (x[p + j] - m[j]) * k[j]);
            }
        });
    }

    /**
     * Column sums over the rows of v [N, C]: of v itself (u null, shift null), of (v - shift)^2 (u null),
     * or of v * (u - shift) (u given).
     */
    private static double[] columnSums(float[] v, int vo, float[] u, int uo, int n, int c, float[] shift) {
        int blocks = (n + BLOCK - 1) / BLOCK;
        float[] partial = new float[blocks * c];
        Parallel.forRange(blocks, 1, (long) BLOCK * c, (s, e) -> {
            for (int blk = s; blk < e; blk++) {
                int p0 = blk * c, end = Math.min(n, (blk + 1) * BLOCK);
                for (int r = blk * BLOCK; r < end; r++) {
                    int p = vo + r * c;
                    if (shift == null) {
                        for (int j = 0; j < c; j++) partial[p0 + j] += v[p + j];
                    } else if (u == null) {
                        for (int j = 0; j < c; j++) {
                            float d = v[p + j] - shift[j];
                            partial[p0 + j] += d * d;
                        }
                    } else {
                        int q = uo + r * c;
                        for (int j = 0; j < c; j++) partial[p0 + j] += v[p + j] * (u[q + j] - shift[j]);
                    }
                }
            }
        });
        double[] sum = new double[c];
        for (int blk = 0; blk < blocks; blk++) {
            for (int j = 0; j < c; j++) sum[j] += partial[blk * c + j];
        }
        return sum;
    }
}
