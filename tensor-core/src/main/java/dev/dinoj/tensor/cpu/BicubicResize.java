package dev.dinoj.tensor.cpu;

/**
 * Bicubic interpolation as PyTorch's upsample_bicubic2d: the cubic convolution kernel with A = -0.75,
 * source coordinate scale*(dst + 0.5) - 0.5 (or scale*dst with align_corners), and border pixels
 * repeated for taps that fall outside the image.
 */
final class BicubicResize {
    private static final double A = -0.75;

    private BicubicResize() {}

    static void resize(float[] x, int planes, int h, int w, float[] out, int oh, int ow, boolean alignCorners,
                       double scaleH, double scaleW) {
        int[] y0 = new int[oh], x0 = new int[ow];
        double[] wy = new double[4 * oh], wx = new double[4 * ow];
        taps(oh, scaleH, alignCorners, y0, wy);
        taps(ow, scaleW, alignCorners, x0, wx);
        Parallel.forRange(planes, 1, 16L * oh * ow, (s, e) -> {
            for (int p = s; p < e; p++) {
                int in = p * h * w, o = p * oh * ow;
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double acc = 0;
                        for (int u = 0; u < 4; u++) {
                            int yy = clamp(y0[i] - 1 + u, h);
                            double row = 0;
                            for (int v = 0; v < 4; v++) {
                                row += wx[4 * j + v] * x[in + yy * w + clamp(x0[j] - 1 + v, w)];
                            }
                            acc += wy[4 * i + u] * row;
                        }
                        out[o + i * ow + j] = (float) acc;
                    }
                }
            }
        });
    }

    private static int clamp(int v, int n) {
        return v < 0 ? 0 : (v >= n ? n - 1 : v);
    }

    private static void taps(int out, double scale, boolean alignCorners, int[] start, double[] weights) {
        for (int d = 0; d < out; d++) {
            double src = alignCorners ? scale * d : scale * (d + 0.5) - 0.5;
            int f = (int) Math.floor(src);
            double t = src - f;
            start[d] = f;
            weights[4 * d] = cubic2(t + 1.0);
            weights[4 * d + 1] = cubic1(t);
            weights[4 * d + 2] = cubic1(1.0 - t);
            weights[4 * d + 3] = cubic2(2.0 - t);
        }
    }

    /** Kernel for |x| <= 1. */
    private static double cubic1(double x) {
        return ((A + 2) * x - (A + 3)) * x * x + 1;
    }

    /** Kernel for 1 < |x| < 2. */
    private static double cubic2(double x) {
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    }
}
