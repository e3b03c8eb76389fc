package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Tensor;

/**
 * Differentiable bicubic resize of [N, C, H, W] with PyTorch's coefficients (A = -0.75, borders
 * repeated, align_corners false). Bicubic interpolation is separable and linear, so it is written as
 * two small matrix products, Wh x Ww^T, and its gradient comes from matmul's.
 */
final class BicubicOp {
    private static final double A = -0.75;

    private BicubicOp() {}

    /**
     * @param scaleFactorH as torch's scale_factor (the coordinate map uses 1/scaleFactor), or 0 to
     *                     use in/out
     */
    static Variable resize(Variable x, int outH, int outW, double scaleFactorH, double scaleFactorW) {
        int h = x.size(2), w = x.size(3);
        Tensor wh = weights(h, outH, scaleFactorH > 0 ? 1 / scaleFactorH : (double) h / outH);
        Tensor ww = weights(w, outW, scaleFactorW > 0 ? 1 / scaleFactorW : (double) w / outW);
        Device dev = x.data().device();
        return Variable.constant(wh.to(dev)).matmul(x).matmul(Variable.constant(ww.t().to(dev)));
    }

    /** [out, in] interpolation matrix: row i holds the four tap weights of output i, clamped taps summed. */
    static Tensor weights(int in, int out, double scale) {
        float[] m = new float[out * in];
        for (int i = 0; i < out; i++) {
            double src = scale * (i + 0.5) - 0.5;
            int f = (int) Math.floor(src);
            double t = src - f;
            double[] c = {cubic2(t + 1), cubic1(t), cubic1(1 - t), cubic2(2 - t)};
            for (int k = 0; k < 4; k++) {
                int j = Math.min(in - 1, Math.max(0, f - 1 + k));
                m[i * in + j] += (float) c[k];
            }
        }
        return Tensor.fromArray(m, out, in);
    }

    private static double cubic1(double x) {
        return ((A + 2) * x - (A + 3)) * x * x + 1;
    }

    private static double cubic2(double x) {
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    }
}
