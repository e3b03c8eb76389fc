package dev.dinoj.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.dinoj.tensor.Reference.assertClose;
import static dev.dinoj.tensor.Reference.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LinearAlgebraTest {
    private final Random r = new Random(41);

    @Test
    void matmul2dMatchesNaiveReferenceForOddSizes() {
        int[][] sizes = {{1, 1, 1}, {7, 3, 5}, {33, 197, 17}, {65, 64, 65}, {130, 300, 70}, {197, 33, 1}};
        for (int[] s : sizes) {
            Tensor a = Reference.random(r, s[0], s[1]), b = Reference.random(r, s[1], s[2]);
            assertClose(a.matmul(b), Reference.matmul(values(a), values(b), s[0], s[1], s[2]), 1e-5);
        }
    }

    @Test
    void transposedOperandsAreReadWithoutCopies() {
        Tensor at = Reference.random(r, 37, 29), bt = Reference.random(r, 41, 37);
        Tensor a = at.t(), b = bt.t(); // [29, 37] and [37, 41], both strided
        assertThat(a.isContiguous()).isFalse();
        double[] ref = Reference.matmul(values(a), values(b), 29, 37, 41);
        assertClose(a.matmul(b), ref, 1e-5);
        assertClose(a.contiguous().matmul(b), ref, 1e-5);
        assertClose(a.matmul(b.contiguous()), ref, 1e-5);
    }

    @Test
    void batchedMatmulBroadcastsLeadingDimensions() {
        Tensor a = Reference.random(r, 2, 3, 7, 5);  // [2, 3, M, K]
        Tensor b = Reference.random(r, 3, 5, 4);     // [3, K, N] broadcast over the first dim
        Tensor c = a.matmul(b);
        assertThat(c.dims()).containsExactly(2, 3, 7, 4);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                Tensor ai = a.select(0, i).select(0, j), bj = b.select(0, j);
                assertClose(c.select(0, i).select(0, j), Reference.matmul(values(ai), values(bj), 7, 5, 4), 1e-5);
            }
        }
        // attention-shaped: q @ k^T over 96 heads, k transposed as a view
        Tensor q = Reference.random(r, 96, 65, 64), k = Reference.random(r, 96, 65, 64);
        Tensor s = q.matmul(k.transpose(1, 2));
        for (int h : new int[] {0, 47, 95}) {
            assertClose(s.select(0, h), Reference.matmul(values(q.select(0, h)), values(k.select(0, h).t()), 65, 64, 65), 1e-5);
        }
    }

    @Test
    void vectorOperandsFollowNumPy() {
        Tensor v = Tensor.fromArray(new float[] {1, 2, 3}, 3);
        Tensor m = Tensor.arange(6).view(3, 2);
        assertThat(v.matmul(v).rank()).isZero();
        assertThat(v.matmul(v).item()).isEqualTo(14f);
        assertThat(v.matmul(m).toFloatArray()).containsExactly(16, 22);
        assertThat(m.t().matmul(v).toFloatArray()).containsExactly(16, 22);
    }

    @Test
    void misalignedShapesNameBoth() {
        assertThatThrownBy(() -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("matmul").hasMessageContaining("[2, 3]").hasMessageContaining("[4, 5]").hasMessageContaining("3 != 4");
        assertThatThrownBy(() -> Tensor.zeros(2, 2, 3).matmul(Tensor.zeros(3, 3, 1)))
                .hasMessageContaining("cannot be broadcast");
    }

    @Test
    void softmaxAndLogSoftmaxWithTemperature() {
        for (int cols : new int[] {1, 7, 197, 4099}) {
            Tensor x = Reference.random(r, 5, cols).mul(3);
            for (float temp : new float[] {1f, 0.1f, 0.04f}) {
                double[] xv = values(x), soft = new double[xv.length], logSoft = new double[xv.length];
                for (int row = 0; row < 5; row++) {
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < cols; j++) max = Math.max(max, xv[row * cols + j] / temp);
                    for (int j = 0; j < cols; j++) sum += Math.exp(xv[row * cols + j] / temp - max);
                    for (int j = 0; j < cols; j++) {
                        double z = xv[row * cols + j] / temp - max;
                        soft[row * cols + j] = Math.exp(z) / sum;
                        logSoft[row * cols + j] = z - Math.log(sum);
                    }
                }
                assertClose(x.softmax(temp), soft, 1e-5);
                assertClose(x.logSoftmax(temp), logSoft, 1e-5);
                assertClose(x.t().contiguous().t().softmax(temp), soft, 1e-5); // strided input
            }
        }
        Tensor x = Reference.random(r, 4, 6);
        assertClose(x.softmax(0, 1f), values(x.t().softmax(1f).t()), 1e-6);
        assertThatThrownBy(() -> x.softmax(0f)).hasMessageContaining("temperature must be positive");
    }

    @Test
    void softmaxIsStableForLargeLogits() {
        Tensor x = Tensor.fromArray(new float[] {1000f, 1000f, -1000f}, 1, 3);
        assertThat(x.softmax().toFloatArray()).containsExactly(0.5f, 0.5f, 0f);
        assertThat(x.logSoftmax().toFloatArray()[2]).isEqualTo(-2000f - (float) Math.log(2));
    }

    @Test
    void layerNormWithAndWithoutAffineSavesStatistics() {
        for (int cols : new int[] {1, 7, 192, 385}) {
            Tensor x = Reference.random(r, 9, cols).mul(2).add(50f); // a large mean stresses the variance
            Tensor w = Reference.random(r, cols), b = Reference.random(r, cols);
            double[] xv = values(x), wv = values(w), bv = values(b);
            double[] ref = new double[xv.length], refPlain = new double[xv.length], mean = new double[9], rstd = new double[9];
            for (int row = 0; row < 9; row++) {
                double m = 0, v = 0;
                for (int j = 0; j < cols; j++) m += xv[row * cols + j];
                m /= cols;
                for (int j = 0; j < cols; j++) v += Math.pow(xv[row * cols + j] - m, 2);
                v /= cols;
                mean[row] = m;
                rstd[row] = 1 / Math.sqrt(v + 1e-6);
                for (int j = 0; j < cols; j++) {
                    refPlain[row * cols + j] = (xv[row * cols + j] - m) * rstd[row];
                    ref[row * cols + j] = refPlain[row * cols + j] * wv[j] + bv[j];
                }
            }
            LayerNormResult res = x.layerNormWithStats(w, b, 1e-6f);
            assertClose(res.output(), ref, 1e-5);
            assertClose(res.mean(), mean, 1e-6);
            assertClose(res.rstd(), rstd, 1e-5);
            assertClose(x.layerNorm(null, null, 1e-6f), refPlain, 1e-5);
            assertClose(x.t().contiguous().t().layerNorm(w, b, 1e-6f), ref, 1e-5);
        }
        assertThatThrownBy(() -> Tensor.zeros(2, 4).layerNorm(Tensor.ones(3), null, 1e-5f))
                .hasMessageContaining("[3]").hasMessageContaining("4");
    }

    /** PyTorch's cubic convolution weights, written from the formula, for the bicubic reference. */
    private static double cubic(double d) {
        double a = -0.75, x = Math.abs(d);
        if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
        if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
        return 0;
    }

    private static double[] bicubicReference(Tensor x, int oh, int ow, double sh, double sw, boolean align) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        double[] xv = values(x), out = new double[n * c * oh * ow];
        for (int p = 0; p < n * c; p++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double sy = align ? sh * i : sh * (i + 0.5) - 0.5, sx = align ? sw * j : sw * (j + 0.5) - 0.5;
                    int fy = (int) Math.floor(sy), fx = (int) Math.floor(sx);
                    double acc = 0;
                    for (int u = -1; u <= 2; u++) {
                        for (int v = -1; v <= 2; v++) {
                            int yy = Math.min(h - 1, Math.max(0, fy + u)), xx = Math.min(w - 1, Math.max(0, fx + v));
                            acc += cubic(sy - (fy + u)) * cubic(sx - (fx + v)) * xv[p * h * w + yy * w + xx];
                        }
                    }
                    out[p * oh * ow + i * ow + j] = acc;
                }
            }
        }
        return out;
    }

    @Test
    void bicubicResizeMatchesTheCubicConvolutionFormula() {
        Tensor x = Reference.random(r, 2, 3, 7, 5);
        assertClose(x.resizeBicubic(11, 4), bicubicReference(x, 11, 4, 7 / 11.0, 5 / 4.0, false), 1e-5);
        assertClose(x.resizeBicubic(11, 4, true, 0, 0), bicubicReference(x, 11, 4, 6 / 10.0, 4 / 3.0, true), 1e-5);
        // DINO's position-embedding call: scale_factor given, the map uses 1/scale_factor
        double sf = (2 + 0.1) / 4.0;
        Tensor pos = Reference.random(r, 1, 192, 4, 4);
        assertClose(pos.resizeBicubic(2, 2, false, sf, sf), bicubicReference(pos, 2, 2, 1 / sf, 1 / sf, false), 1e-5);
        // same size with the in/out scale is the identity
        assertClose(x.resizeBicubic(7, 5), values(x), 1e-6);
        assertThatThrownBy(() -> Tensor.zeros(3, 4, 4).resizeBicubic(2, 2)).hasMessageContaining("[N, C, H, W]");
    }
}
