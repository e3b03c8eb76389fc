package dev.dinoj.tensor.cpu;

/**
 * Batch normalisation of a contiguous [N, C] (each column over the rows, in training), optionally
 * followed by a ReLU, and its backward, in a few passes over memory where the composed ops took a
 * dozen. Column sums are taken over fixed blocks of rows (float within a block, double across blocks,
 * in block order), so the result does not depend on the number of threads. The ReLU's mask is not
 * stored: backward recomputes the normalised value with the forward's own float operations (the
 * per-column scale and shift derive from the saved float statistics), so it sees the same signs.
 */
final class BatchNormKernels {
    /** Rows per partial sum: short enough for float within a block, and a unit of parallel work. */
    private static final int BLOCK = 256;

    private BatchNormKernels() {}

    /** out = (x - mean) * rstd * w + b per column (then max(., 0) when relu); writes mean, biased var and rstd ([C]). */
    static void forward(float[] x, int xo, int n, int c, float[] w, int wo, float[] b, int bo, float eps, boolean relu, float[] out, int oo,
                        float[] mean, int mo, float[] var, int vo, float[] rstd, int ro) {
        double[] sum = columnSums(x, xo, n, c, null);
        float[] m = new float[c];
        for (int j = 0; j < c; j++) m[j] = (float) (sum[j] / n);
        // the second pass on deviations: no cancellation when the mean is large against the spread
        double[] sq = columnSums(x, xo, n, c, m);
        float[] rs = new float[c];
        for (int j = 0; j < c; j++) {
            double v = sq[j] / n;
            rs[j] = (float) (1.0 / Math.sqrt(v + eps));
            mean[mo + j] = m[j];
            var[vo + j] = (float) v;
            rstd[ro + j] = rs[j];
        }
        float[] scale = new float[c], shift = new float[c];
        affine(m, rs, w, wo, b, bo, scale, shift);
        int k = rowsPerSpan(c);
        float[] sc = tile(scale, k), sh = tile(shift, k);
        Parallel.forRange(blocks(n), 1, (long) BLOCK * c, (s, e) -> {
            for (int r0 = s * BLOCK; r0 < Math.min(n, e * BLOCK); r0 += k) {
                int len = Math.min(k, n - r0) * c, p = xo + r0 * c, q = oo + r0 * c;
                if (relu) {
                    for (int i = 0; i < len; i++) out[q + i] = relu(x[p + i] * sc[i] + sh[i]);
                } else {
                    for (int i = 0; i < len; i++) out[q + i] = x[p + i] * sc[i] + sh[i];
                }
            }
        });
    }

    /**
     * With xhat = (x - mean) * rstd and g the output gradient (zero where the normalised value was not
     * positive, when relu): gradBias = sum(g), gradWeight = sum(g * xhat) over the rows, and
     * gradX = rstd * w * (g - sum(g)/N - xhat * sum(g * xhat)/N). gradWeight, gradBias, w and b may be null.
     */
    static void backward(float[] x, int xo, float[] g, int go, int n, int c, float[] w, int wo, float[] b, int bo, float[] mean, int mo,
                         float[] rstd, int ro, boolean relu, float[] gradX, int gxo, float[] gradWeight, int gwo, float[] gradBias, int gbo) {
        float[] m = new float[c], rs = new float[c];
        for (int j = 0; j < c; j++) {
            m[j] = mean[mo + j];
            rs[j] = rstd[ro + j];
        }
        float[] scale = null, shift = null;
        if (relu) {
            scale = new float[c];
            shift = new float[c];
            affine(m, rs, w, wo, b, bo, scale, shift);
        }
        double[][] sums = gradientSums(g, go, x, xo, n, c, m, scale, shift);
        double[] sg = sums[0], sgx = sums[1];
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
        int span = rowsPerSpan(c);
        float[] at = tile(a, span), mbt = tile(mb, span), kt = tile(k, span), mt = tile(m, span);
        float[] sc = relu ? tile(scale, span) : null, sh = relu ? tile(shift, span) : null;
        Parallel.forRange(blocks(n), 1, 2L * BLOCK * c, (s, e) -> {
            for (int r0 = s * BLOCK; r0 < Math.min(n, e * BLOCK); r0 += span) {
                int len = Math.min(span, n - r0) * c, p = xo + r0 * c, q = go + r0 * c, o = gxo + r0 * c;
                if (sc != null) {
                    ArrayMath.get().reluMaskedGradInput(g, q, x, p, sc, sh, mt, at, mbt, kt, gradX, o, len);
                } else {
                    for (int i = 0; i < len; i++) gradX[o + i] = at[i] * (g[q + i] - mbt[i] - (x[p + i] - mt[i]) * kt[i]);
                }
            }
        });
    }

    private static int blocks(int n) {
        return (n + BLOCK - 1) / BLOCK;
    }

    /**
     * Rows handled as one flat span of k * C elements: the per-column vectors are tiled k times, so the
     * inner loops run over hundreds of contiguous floats (which C2 vectorises) rather than C at a time.
     * A power of two dividing BLOCK, so spans never straddle blocks.
     */
    private static int rowsPerSpan(int c) {
        int k = 1;
        while (k < BLOCK && 2L * k * c <= 1024) k *= 2;
        return k;
    }

    private static float[] tile(float[] v, int k) {
        float[] t = new float[v.length * k];
        for (int r = 0; r < k; r++) System.arraycopy(v, 0, t, r * v.length, v.length);
        return t;
    }

    /** The per-column scale rstd * w and shift b - mean * scale, from the float statistics (forward and backward alike). */
    private static void affine(float[] m, float[] rs, float[] w, int wo, float[] b, int bo, float[] scale, float[] shift) {
        for (int j = 0; j < m.length; j++) {
            double s = (double) rs[j] * (w == null ? 1.0 : w[wo + j]);
            scale[j] = (float) s;
            shift[j] = (float) ((b == null ? 0.0 : b[bo + j]) - m[j] * s);
        }
    }

    /** ReLU with the element-wise kernel's results (NaN passes through, -0 gives +0), in a form C2 vectorises. */
    private static float relu(float v) {
        return Math.max(v, 0f);
    }

    /**
     * Column sums over the rows of v [N, C]: of v (shift null) or of (v - shift)^2. Each block
     * accumulates a span's worth of columns in float and folds them in order; blocks add in double.
     */
    private static double[] columnSums(float[] v, int vo, int n, int c, float[] shift) {
        int blocks = blocks(n), k = rowsPerSpan(c);
        float[] partial = new float[blocks * c];
        float[] st = shift == null ? null : tile(shift, k);
        Parallel.forRange(blocks, 1, (long) BLOCK * c, (s, e) -> {
            float[] acc = new float[k * c];
            for (int blk = s; blk < e; blk++) {
                java.util.Arrays.fill(acc, 0f);
                int end = Math.min(n, (blk + 1) * BLOCK);
                for (int r0 = blk * BLOCK; r0 < end; r0 += k) {
                    int len = Math.min(k, end - r0) * c, p = vo + r0 * c;
                    if (st == null) {
                        for (int i = 0; i < len; i++) acc[i] += v[p + i];
                    } else {
                        for (int i = 0; i < len; i++) {
                            float d = v[p + i] - st[i];
                            acc[i] += d * d;
                        }
                    }
                }
                fold(acc, partial, blk * c, c);
            }
        });
        return combine(partial, blocks, c);
    }

    /**
     * The backward's two column sums in one pass over g and x: {sum(g'), sum(g' * (x - mean))}, where
     * g' is g masked by the ReLU of x * scale + shift when scale is given, else g. Blocked as {@link #columnSums}.
     */
    private static double[][] gradientSums(float[] g, int go, float[] x, int xo, int n, int c, float[] mean, float[] scale, float[] shift) {
        int blocks = blocks(n), k = rowsPerSpan(c);
        float[] partialG = new float[blocks * c], partialGx = new float[blocks * c];
        float[] mt = tile(mean, k), sc = scale == null ? null : tile(scale, k), sh = shift == null ? null : tile(shift, k);
        Parallel.forRange(blocks, 1, 2L * BLOCK * c, (s, e) -> {
            float[] accG = new float[k * c], accGx = new float[k * c];
            for (int blk = s; blk < e; blk++) {
                java.util.Arrays.fill(accG, 0f);
                java.util.Arrays.fill(accGx, 0f);
                int end = Math.min(n, (blk + 1) * BLOCK);
                for (int r0 = blk * BLOCK; r0 < end; r0 += k) {
                    int len = Math.min(k, end - r0) * c, p = go + r0 * c, q = xo + r0 * c;
                    if (sc != null) {
                        ArrayMath.get().reluMaskedGradSums(g, p, x, q, sc, sh, mt, accG, accGx, len);
                    } else {
                        for (int i = 0; i < len; i++) {
                            accG[i] += g[p + i];
                            accGx[i] += g[p + i] * (x[q + i] - mt[i]);
                        }
                    }
                }
                fold(accG, partialG, blk * c, c);
                fold(accGx, partialGx, blk * c, c);
            }
        });
        return new double[][] {combine(partialG, blocks, c), combine(partialGx, blocks, c)};
    }

    /** Adds a span accumulator's k rows of columns, in order, into one block's partial sums. */
    private static void fold(float[] acc, float[] partial, int p0, int c) {
        for (int i = 0; i < acc.length; i++) partial[p0 + i % c] += acc[i];
    }

    /** The blocks' partial sums added in block order, in double. */
    private static double[] combine(float[] partial, int blocks, int c) {
        double[] sum = new double[c];
        for (int blk = 0; blk < blocks; blk++) {
            for (int j = 0; j < c; j++) sum[j] += partial[blk * c + j];
        }
        return sum;
    }
}
