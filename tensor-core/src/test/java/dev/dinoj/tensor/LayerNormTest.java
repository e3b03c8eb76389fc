package dev.dinoj.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.dinoj.tensor.Reference.assertClose;
import static dev.dinoj.tensor.Reference.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LayerNormTest {
    private final Random r = new Random(41);

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
}
