package dev.dinoj.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.dinoj.tensor.Reference.assertClose;
import static dev.dinoj.tensor.Reference.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SoftmaxTest {
    private final Random r = new Random(41);

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
}
