package dev.dinoj.tensor.cpu;

/**
 * Kernels that work on whole rows of the last dimension of a contiguous tensor: softmax and LayerNorm,
 * each in two passes over memory. Statistics accumulate in double.
 */
final class RowKernels {
    private RowKernels() {}

    /**
     * softmax(x / T) (or its log) of each row. Pass 1 finds the max and the sum of exponentials together
     * (online softmax: the running sum is rescaled when the max grows); pass 2 writes the output.
     */
    static void softmax(float[] x, float[] out, int rows, int cols, float temperature, boolean log) {
        double invT = 1.0 / temperature;
        Parallel.forRange(rows, 1, 20L * cols, (s, e) -> {
            for (int r = s; r < e; r++) {
                int o = r * cols;
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < cols; j++) {
                    double v = x[o + j] * invT;
                    if (v > max) {
                        sum = sum * Math.exp(max - v) + 1.0;
                        max = v;
                    } else {
                        sum += Math.exp(v - max);
                    }
                }
                if (max == Double.POSITIVE_INFINITY || Double.isNaN(sum)) {
                    // an infinite or NaN input: the result is undefined, as in PyTorch
                    java.util.Arrays.fill(out, o, o + cols, Float.NaN);
                    continue;
                }
                if (log) {
                    double lse = max + Math.log(sum);
                    for (int j = 0; j < cols; j++) out[o + j] = (float) (x[o + j] * invT - lse);
                } else {
                    double inv = 1.0 / sum;
                    for (int j = 0; j < cols; j++) out[o + j] = (float) (Math.exp(x[o + j] * invT - max) * inv);
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
