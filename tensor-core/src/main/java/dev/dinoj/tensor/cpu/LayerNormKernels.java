package dev.dinoj.tensor.cpu;

/**
 * LayerNorm over the last dimension of a contiguous tensor, and its backward: each row in two passes
 * over memory, statistics in double.
 */
final class LayerNormKernels {
    private LayerNormKernels() {}

    /** LayerNorm of each row; weight/bias may be null. Writes mean and rstd per row. */
    static void layerNorm(float[] x, float[] w, int wo, float[] b, int bo, float eps, float[] out, float[] mean, float[] rstd,
                          int rows, int cols) {
        Parallel.forRange(rows, 1, 4L * cols, (s, e) -> {
            for (int r = s; r < e; r++) {
                int o = r * cols;
                double sum = 0, sumSq = 0;
                // shift by the first element so that sumSq does not cancel catastrophically for large means
                double shift = x[o];
                for (int j = 0; j < cols; j++) {
                    double d = x[o + j] - shift;
                    sum += d;
                    sumSq += d * d;
                }
                double m = sum / cols;
                double var = Math.max(0.0, sumSq / cols - m * m);
                double rs = 1.0 / Math.sqrt(var + eps);
                float mf = (float) (m + shift), rf = (float) rs;
                mean[r] = mf;
                rstd[r] = rf;
                if (w != null && b != null) {
                    for (int j = 0; j < cols; j++) out[o + j] = (x[o + j] - mf) * rf * w[wo + j] + b[bo + j];
                } else if (w != null) {
                    for (int j = 0; j < cols; j++) out[o + j] = (x[o + j] - mf) * rf * w[wo + j];
                } else if (b != null) {
                    for (int j = 0; j < cols; j++) out[o + j] = (x[o + j] - mf) * rf + b[bo + j];
                } else {
                    for (int j = 0; j < cols; j++) out[o + j] = (x[o + j] - mf) * rf;
                }
            }
        });
    }

    /**
     * LayerNorm backward per row: with xhat = (x - mean) rstd and h = g * w,
     * dx = rstd (h - mean(h) - xhat mean(h xhat)); dw = sum_rows g xhat; db = sum_rows g. The row
     * sums are accumulated per fixed block of rows and the blocks added in order, so the result does
     * not depend on the thread count's scheduling.
     */
    static void layerNormBackward(float[] x, float[] w, float[] mean, float[] rstd, float[] g, float[] gx, float[] gw, float[] gb,
                                  int rows, int cols) {
        int block = 64;
        int blocks = (rows + block - 1) / block;
        double[][] partW = gw == null ? null : new double[blocks][], partB = gb == null ? null : new double[blocks][];
        Parallel.forRange(blocks, 1, 6L * cols * block, (s, e) -> {
            for (int bk = s; bk < e; bk++) {
                double[] pw = gw == null ? null : new double[cols], pb = gb == null ? null : new double[cols];
                for (int r = bk * block; r < Math.min(rows, (bk + 1) * block); r++) {
                    int o = r * cols;
                    float m = mean[r], rs = rstd[r];
                    double sumH = 0, sumHX = 0;
                    for (int j = 0; j < cols; j++) {
                        float xh = (x[o + j] - m) * rs;
                        float h = w == null ? g[o + j] : g[o + j] * w[j];
                        sumH += h;
                        sumHX += h * xh;
                        if (pw != null) pw[j] += g[o + j] * xh;
                        if (pb != null) pb[j] += g[o + j];
                    }
                    float mh = (float) (sumH / cols), mhx = (float) (sumHX / cols);
                    for (int j = 0; j < cols; j++) {
                        float xh = (x[o + j] - m) * rs;
                        float h = w == null ? g[o + j] : g[o + j] * w[j];
                        gx[o + j] = rs * (h - mh - xh * mhx);
                    }
                }
                if (partW != null) partW[bk] = pw;
                if (partB != null) partB[bk] = pb;
            }
        });
        for (int j = 0; j < cols; j++) {
            double sw = 0, sb = 0;
            for (int bk = 0; bk < blocks; bk++) {
                if (partW != null) sw += partW[bk][j];
                if (partB != null) sb += partB[bk][j];
            }
            if (gw != null) gw[j] = (float) sw;
            if (gb != null) gb[j] = (float) sb;
        }
    }
}
