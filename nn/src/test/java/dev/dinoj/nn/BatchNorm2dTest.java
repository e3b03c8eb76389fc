package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class BatchNorm2dTest {
    private final Generator gen = new Generator(12);

    @Test
    void normalisesEachChannelOverBatchAndPositionsAndTracksRunningStatistics() {
        int b = 3, c = 4, h = 5, w = 2, n = b * h * w;
        BatchNorm2d bn = new BatchNorm2d(c);
        bn.namedParameters().get("weight").data().copyFrom(Tensor.randn(gen, c));
        bn.namedParameters().get("bias").data().copyFrom(Tensor.randn(gen, c));
        Tensor x = Tensor.randn(gen, b, c, h, w).mul(3f).add(1f);
        float[] xs = x.toFloatArray(), y = bn.forward(Variable.constant(x)).data().toFloatArray();
        float[] gamma = bn.namedParameters().get("weight").data().toFloatArray(), beta = bn.namedParameters().get("bias").data().toFloatArray();
        float[] runMean = bn.namedBuffers().get("running_mean").toFloatArray(), runVar = bn.namedBuffers().get("running_var").toFloatArray();
        for (int ch = 0; ch < c; ch++) {
            double mean = 0, var = 0;
            for (int i = 0; i < b; i++) for (int p = 0; p < h * w; p++) mean += xs[(i * c + ch) * h * w + p] / n;
            for (int i = 0; i < b; i++) for (int p = 0; p < h * w; p++) var += Math.pow(xs[(i * c + ch) * h * w + p] - mean, 2) / n;
            for (int i = 0; i < b; i++) {
                for (int p = 0; p < h * w; p++) {
                    int k = (i * c + ch) * h * w + p;
                    assertThat((double) y[k]).isCloseTo(gamma[ch] * (xs[k] - mean) / Math.sqrt(var + 1e-5) + beta[ch], offset(1e-4));
                }
            }
            // torch: running = 0.9 running + 0.1 batch, the variance unbiased
            assertThat((double) runMean[ch]).isCloseTo(0.1 * mean, offset(1e-5));
            assertThat((double) runVar[ch]).isCloseTo(0.9 + 0.1 * var * n / (n - 1), offset(1e-4));
        }
        // evaluation: the running statistics
        bn.eval();
        float[] e = bn.forward(Variable.constant(x)).data().toFloatArray();
        assertThat((double) e[0]).isCloseTo(gamma[0] * (xs[0] - runMean[0]) / Math.sqrt(runVar[0] + 1e-5) + beta[0], offset(1e-4));
        assertThat(bn.stateDict()).containsOnlyKeys("weight", "bias", "running_mean", "running_var", "num_batches_tracked");
    }

    @Test
    void tokensAreTheSameNormalisationAndItsGradientsMatchFiniteDifferences() {
        BatchNorm2d bn = new BatchNorm2d(3);
        Tensor x = Tensor.randn(gen, 2, 3, 4, 5);
        float[] nchw = bn.forward(Variable.constant(x)).data().toFloatArray();
        Variable t = bn.forwardTokens(Variable.constant(x.permute(0, 2, 3, 1).reshape(2, 20, 3)), false);
        float[] back = t.data().reshape(2, 4, 5, 3).permute(0, 3, 1, 2).contiguous().toFloatArray();
        for (int i = 0; i < nchw.length; i++) assertThat(back[i]).isCloseTo(nchw[i], offset(1e-5f));
        float[] relu = bn.forwardTokens(Variable.constant(x.permute(0, 2, 3, 1).reshape(2, 20, 3)), true).data().toFloatArray();
        float[] plain = t.data().toFloatArray();
        for (int i = 0; i < plain.length; i++) assertThat(relu[i]).isCloseTo(Math.max(plain[i], 0f), offset(1e-5f));
        ModuleGradCheck.defaults().check(bn, bn::forward, Tensor.randn(gen, 2, 3, 3, 2));
        ModuleGradCheck.defaults().check(bn, v -> bn.forwardTokens(v, true), Tensor.randn(gen, 2, 6, 3));
    }

    @Test
    void rejectsWrongShapesAndSingleValues() {
        BatchNorm2d bn = new BatchNorm2d(4);
        assertThatThrownBy(() -> bn.forward(Variable.constant(Tensor.zeros(2, 3, 2, 2)))).hasMessageContaining("[B, 4, H, W]");
        assertThatThrownBy(() -> bn.forwardTokens(Variable.constant(Tensor.zeros(2, 3, 5)), false)).hasMessageContaining("[B, P, 4]");
        assertThatThrownBy(() -> bn.forward(Variable.constant(Tensor.zeros(1, 4, 1, 1)))).hasMessageContaining("more than one sample");
        assertThatThrownBy(() -> new BatchNorm2d(0)).hasMessageContaining("channels");
    }
}
