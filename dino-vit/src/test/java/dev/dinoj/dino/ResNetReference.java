package dev.dinoj.dino;

import dev.dinoj.tensor.Tensor;

import java.util.Map;

/** A direct double-precision evaluation of a torchvision ResNet's equations from its state dict (NCHW loops). */
final class ResNetReference {
    private ResNetReference() {}

    /** An image batch [b, c, h, w]. */
    private record Img(double[] v, int b, int c, int h, int w) {
        Img {
            if (v.length != b * c * h * w) throw new IllegalArgumentException("size");
        }
    }

    static double[] forward(Map<String, Tensor> s, boolean bottleneck, int[] blocks, boolean small, Tensor input, boolean training) {
        float[] xv = input.toFloatArray();
        double[] v = new double[xv.length];
        for (int i = 0; i < v.length; i++) v[i] = xv[i];
        return forward(s, bottleneck, blocks, small, v, input.dims(), training);
    }

    /** The pooled features [b * C] of the images v [b, c, h, w] (dims). */
    static double[] forward(Map<String, Tensor> s, boolean bottleneck, int[] blocks, boolean small, double[] v, int[] dims, boolean training) {
        Img x = new Img(v, dims[0], dims[1], dims[2], dims[3]);
        x = small ? conv(x, s, "conv1", 1, 1) : conv(x, s, "conv1", 2, 3);
        x = relu(bn(x, s, "bn1", training));
        if (!small) x = maxPool(x);
        for (int stage = 0; stage < 4; stage++) {
            for (int i = 0; i < blocks[stage]; i++) {
                String p = "layer" + (stage + 1) + "." + i + ".";
                int stride = i == 0 && stage > 0 ? 2 : 1;
                Img y;
                if (bottleneck) {
                    y = relu(bn(conv(x, s, p + "conv1", 1, 0), s, p + "bn1", training));
                    y = relu(bn(conv(y, s, p + "conv2", stride, 1), s, p + "bn2", training));
                    y = bn(conv(y, s, p + "conv3", 1, 0), s, p + "bn3", training);
                } else {
                    y = relu(bn(conv(x, s, p + "conv1", stride, 1), s, p + "bn1", training));
                    y = bn(conv(y, s, p + "conv2", 1, 1), s, p + "bn2", training);
                }
                Img shortcut = s.containsKey(p + "downsample.0.weight")
                        ? bn(conv(x, s, p + "downsample.0", stride, 0), s, p + "downsample.1", training) : x;
                double[] sum = new double[y.v.length];
                for (int k = 0; k < sum.length; k++) sum[k] = y.v[k] + shortcut.v[k];
                x = relu(new Img(sum, y.b, y.c, y.h, y.w));
            }
        }
        double[] pooled = new double[x.b * x.c];
        for (int n = 0; n < x.b * x.c; n++) {
            for (int p = 0; p < x.h * x.w; p++) pooled[n] += x.v[n * x.h * x.w + p] / (x.h * x.w);
        }
        return pooled;
    }

    private static Img conv(Img x, Map<String, Tensor> s, String name, int stride, int pad) {
        Tensor wt = s.get(name + ".weight");
        int out = wt.size(0), k = wt.size(2);
        float[] w = wt.toFloatArray();
        int oh = (x.h + 2 * pad - k) / stride + 1, ow = (x.w + 2 * pad - k) / stride + 1;
        double[] y = new double[x.b * out * oh * ow];
        for (int n = 0; n < x.b; n++)
            for (int o = 0; o < out; o++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        double acc = 0;
                        for (int c = 0; c < x.c; c++)
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++) {
                                    int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                                    if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
                                    acc += w[((o * x.c + c) * k + ky) * k + kx] * x.v[((n * x.c + c) * x.h + iy) * x.w + ix];
                                }
                        y[((n * out + o) * oh + oy) * ow + ox] = acc;
                    }
        return new Img(y, x.b, out, oh, ow);
    }

    /** Training: the batch's mean and biased variance per channel over (batch, positions); evaluation: the running ones. */
    private static Img bn(Img x, Map<String, Tensor> s, String name, boolean training) {
        float[] g = s.get(name + ".weight").toFloatArray(), b = s.get(name + ".bias").toFloatArray();
        float[] rm = s.get(name + ".running_mean").toFloatArray(), rv = s.get(name + ".running_var").toFloatArray();
        int hw = x.h * x.w, n = x.b * hw;
        double[] y = new double[x.v.length];
        for (int c = 0; c < x.c; c++) {
            double mean = rm[c], var = rv[c];
            if (training) {
                mean = 0;
                var = 0;
                for (int i = 0; i < x.b; i++) for (int p = 0; p < hw; p++) mean += x.v[(i * x.c + c) * hw + p] / n;
                for (int i = 0; i < x.b; i++) for (int p = 0; p < hw; p++) var += Math.pow(x.v[(i * x.c + c) * hw + p] - mean, 2) / n;
            }
            for (int i = 0; i < x.b; i++) {
                for (int p = 0; p < hw; p++) {
                    int k = (i * x.c + c) * hw + p;
                    y[k] = g[c] * (x.v[k] - mean) / Math.sqrt(var + 1e-5) + b[c];
                }
            }
        }
        return new Img(y, x.b, x.c, x.h, x.w);
    }

    private static Img relu(Img x) {
        double[] y = new double[x.v.length];
        for (int i = 0; i < y.length; i++) y[i] = Math.max(0, x.v[i]);
        return new Img(y, x.b, x.c, x.h, x.w);
    }

    /** 3x3, stride 2, padding 1 (the padding never wins). */
    private static Img maxPool(Img x) {
        int oh = (x.h + 2 - 3) / 2 + 1, ow = (x.w + 2 - 3) / 2 + 1;
        double[] y = new double[x.b * x.c * oh * ow];
        for (int n = 0; n < x.b * x.c; n++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    double m = Double.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++) {
                            int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
                            if (iy >= 0 && iy < x.h && ix >= 0 && ix < x.w) m = Math.max(m, x.v[(n * x.h + iy) * x.w + ix]);
                        }
                    y[(n * oh + oy) * ow + ox] = m;
                }
        return new Img(y, x.b, x.c, oh, ow);
    }
}
