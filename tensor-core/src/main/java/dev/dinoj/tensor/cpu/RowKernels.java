package dev.dinoj.tensor.cpu;

/**
 * Kernels that work on whole rows of the last dimension of a contiguous tensor: softmax and LayerNorm,
 * each in two passes over memory. Statistics accumulate in double.
 */
final class RowKernels {
    private RowKernels() {}

    /**
     * softmax(x / T) (or its log) of each row: the row maximum, then exp((x - max) / T) written to the
     * output while summing, then one scaling pass; a row is read from memory once and then stays in cache.
     */
    static void softmax(float[] x, float[] out, int rows, int cols, float temperature, boolean log) {
        float invT = 1f / temperature;
        ArrayMath m = ArrayMath.get();
        Parallel.forRange(rows, 1, 8L * cols, (s, e) -> {
            for (int r = s; r < e; r++) {
                int o = r * cols;
                float max = m.max(x, o, cols);
                if (max == Float.POSITIVE_INFINITY || max != max) {
                    // an infinite or NaN input: the result is undefined, as in PyTorch
                    java.util.Arrays.fill(out, o, o + cols, Float.NaN);
                    continue;
                }
                double sum = m.expAffineSum(x, o, out, o, cols, invT, -max * invT);
                if (log) {
                    m.affine(x, o, out, o, cols, invT, (float) (-max * invT - Math.log(sum)));
                } else {
                    m.affine(out, o, out, o, cols, (float) (1.0 / sum), 0f);
                }
            }
        });
    }

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
}
