package dev.dinoj.dino.data;

/**
 * Separable bicubic resampling of an image region, as PIL's Image.resize(..., BICUBIC, box) that the
 * reference's RandomResizedCrop uses: cubic kernel with a = -0.5, and when shrinking the kernel is
 * widened by the scale factor (antialiasing), weights normalised to sum to 1.
 */
public final class Resampler {
    private static final double A = -0.5;

    private Resampler() {}

    /** Resamples the box (x0, y0, w, h) of src, in pixel units, to outW x outH. */
    public static Image resize(Image src, double x0, double y0, double w, double h, int outW, int outH) {
        if (outW <= 0 || outH <= 0) throw new IllegalArgumentException("resize: output size must be positive, got " + outW + "x" + outH);
        if (!(w > 0 && h > 0)) throw new IllegalArgumentException("resize: box must have a positive size, got " + w + "x" + h);
        Taps tx = taps(src.width, x0, w, outW), ty = taps(src.height, y0, h, outH);
        // horizontal pass: [3, H, W] -> [3, H, outW]
        float[] mid = new float[3 * src.height * outW];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < src.height; y++) {
                int in = (c * src.height + y) * src.width, out = (c * src.height + y) * outW;
                for (int x = 0; x < outW; x++) {
                    double s = 0;
                    for (int k = 0; k < tx.count[x]; k++) s += tx.weights[x][k] * src.data[in + tx.start[x] + k];
                    mid[out + x] = (float) s;
                }
            }
        }
        // vertical pass: [3, H, outW] -> [3, outH, outW]
        float[] dst = new float[3 * outH * outW];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < outH; y++) {
                for (int x = 0; x < outW; x++) {
                    double s = 0;
                    for (int k = 0; k < ty.count[y]; k++) s += ty.weights[y][k] * mid[(c * src.height + ty.start[y] + k) * outW + x];
                    dst[(c * outH + y) * outW + x] = (float) Math.max(0, Math.min(1, s));
                }
            }
        }
        return new Image(outW, outH, dst);
    }

    /** Resizes the whole image. */
    public static Image resize(Image src, int outW, int outH) {
        return resize(src, 0, 0, src.width, src.height, outW, outH);
    }

    private static final class Taps {
        final int[] start, count;
        final double[][] weights;

        Taps(int n) {
            start = new int[n];
            count = new int[n];
            weights = new double[n][];
        }
    }

    private static Taps taps(int in, double b0, double len, int out) {
        Taps t = new Taps(out);
        double scale = len / out, filterScale = Math.max(scale, 1.0), support = 2.0 * filterScale;
        for (int i = 0; i < out; i++) {
            double center = b0 + (i + 0.5) * scale;
            int lo = Math.max(0, (int) Math.floor(center - support));
            int hi = Math.min(in, (int) Math.ceil(center + support));
            if (hi <= lo) { // box entirely outside the image: take the nearest edge pixel
                lo = Math.max(0, Math.min(in - 1, (int) Math.floor(center)));
                hi = lo + 1;
            }
            double[] w = new double[hi - lo];
            double sum = 0;
            for (int k = 0; k < w.length; k++) {
                w[k] = cubic((lo + k + 0.5 - center) / filterScale);
                sum += w[k];
            }
            if (sum == 0) {
                java.util.Arrays.fill(w, 1.0 / w.length);
            } else {
                for (int k = 0; k < w.length; k++) w[k] /= sum;
            }
            t.start[i] = lo;
            t.count[i] = w.length;
            t.weights[i] = w;
        }
        return t;
    }

    private static double cubic(double x) {
        double a = Math.abs(x);
        if (a < 1) return ((A + 2) * a - (A + 3)) * a * a + 1;
        if (a < 2) return ((A * a - 5 * A) * a + 8 * A) * a - 4 * A;
        return 0;
    }
}
