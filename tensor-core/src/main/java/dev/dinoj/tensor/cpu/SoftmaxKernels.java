package dev.dinoj.tensor.cpu;

/**
 * Softmax and log-softmax with a temperature over the last dimension of a contiguous tensor, and their
 * backward: each row in two passes over memory, statistics in double.
 */
final class SoftmaxKernels {
    private SoftmaxKernels() {}

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

    /** Gradient of softmax (y * (g - sum g y)) or log-softmax (g - e^y sum g) of x / T, per row. */
    static void softmaxBackward(float[] y, float[] g, float[] out, int rows, int cols, float temperature, boolean log) {
        float invT = 1f / temperature;
        Parallel.forRange(rows, 1, 4L * cols, (s, e) -> {
            for (int r = s; r < e; r++) {
                int o = r * cols;
                double dot = 0;
                if (log) {
                    for (int j = 0; j < cols; j++) dot += g[o + j];
                    float d = (float) dot;
                    for (int j = 0; j < cols; j++) out[o + j] = (g[o + j] - (float) Math.exp(y[o + j]) * d) * invT;
                } else {
                    for (int j = 0; j < cols; j++) dot += (double) g[o + j] * y[o + j];
                    float d = (float) dot;
                    for (int j = 0; j < cols; j++) out[o + j] = y[o + j] * (g[o + j] - d) * invT;
                }
            }
        });
    }
}
