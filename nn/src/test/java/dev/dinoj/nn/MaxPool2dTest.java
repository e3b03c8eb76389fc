package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MaxPool2dTest {
    private final Generator gen = new Generator(8);

    /** Direct max-pooling: the max over the window's in-range taps (padding excluded). */
    private static float[] naive(float[] x, int b, int c, int h, int w, int k, int s, int p) {
        int oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
        float[] y = new float[b * c * oh * ow];
        for (int n = 0; n < b * c; n++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int iy = oy * s - p + ky, ix = ox * s - p + kx;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) m = Math.max(m, x[(n * h + iy) * w + ix]);
                        }
                    y[(n * oh + oy) * ow + ox] = m;
                }
        return y;
    }

    @Test
    void matchesDirectPoolingAndThePaddingNeverWins() {
        int[][] cases = {{2, 3, 8, 8, 3, 2, 1}, {1, 2, 7, 5, 3, 2, 1}, {2, 1, 6, 6, 2, 2, 0}, {1, 4, 9, 4, 3, 1, 1}}; // b, c, h, w, k, s, p
        for (int[] t : cases) {
            MaxPool2d pool = new MaxPool2d(t[4], t[5], t[6]);
            // all negative: a zero padding would win every border window
            Tensor x = Tensor.rand(gen, t[0], t[1], t[2], t[3]).sub(2f);
            Variable y = pool.forward(Variable.constant(x));
            assertThat(y.dims()).containsExactly(t[0], t[1], pool.outputSize(t[2]), pool.outputSize(t[3]));
            assertThat(y.data().toFloatArray()).as("case %s", java.util.Arrays.toString(t))
                    .containsExactly(naive(x.toFloatArray(), t[0], t[1], t[2], t[3], t[4], t[5], t[6]));
        }
    }

    @Test
    void theGradientGoesToEachWindowsMaximum() {
        MaxPool2d pool = new MaxPool2d(3, 2, 1);
        // distinct values, so no window has a tie and finite differences see one winner
        int n = 2 * 3 * 7 * 6;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i * 0.37f % 5f + i * 1e-3f;
        Tensor x = Tensor.fromArray(v, 2, 3, 7, 6);
        ModuleGradCheck.defaults().check(pool, pool::forward, x);
        Variable leaf = Variable.leaf(x.copy());
        pool.forward(leaf).sum().backward();
        // each output sends its gradient 1 to one input: the gradients sum to the number of outputs
        assertThat((double) leaf.grad().sum().item()).isEqualTo(2 * 3 * 4 * 3);
    }

    @Test
    void rejectsBadSettingsAndShapes() {
        assertThatThrownBy(() -> new MaxPool2d(3, 2, 2)).hasMessageContaining("padding in [0, kernel / 2]");
        assertThatThrownBy(() -> new MaxPool2d(0, 1, 0)).hasMessageContaining("kernel");
        MaxPool2d pool = new MaxPool2d(3, 2, 0);
        assertThatThrownBy(() -> pool.forward(Variable.constant(Tensor.zeros(1, 1, 2, 8)))).hasMessageContaining("smaller than the window");
        assertThatThrownBy(() -> pool.forwardTokens(Variable.constant(Tensor.zeros(1, 10, 3)), 3, 4)).hasMessageContaining("[B, 3*4, C]");
    }
}
