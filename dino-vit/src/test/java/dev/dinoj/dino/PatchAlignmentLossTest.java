package dev.dinoj.dino;

import dev.dinoj.autograd.DoubleArray;
import dev.dinoj.autograd.DoubleGradCheck;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SimDINOv2's patch term against its formula in double. */
class PatchAlignmentLossTest {
    @Test
    void valueAndGradientEqualTheFormulaInDouble() {
        Generator gen = new Generator(12);
        int m = 5, d = 4, images = 3;
        Tensor s = Tensor.randn(gen, m, d), t = Tensor.randn(gen, m, d);
        Tensor w = Tensor.fromArray(new float[] {0.5f, 0.5f, 1 / 3f, 1 / 3f, 1 / 3f}, m);
        double[] tv = DoubleArray.of(t).values(), wv = DoubleArray.of(w).values();
        DoubleGradCheck.defaults().check(v -> PatchAlignmentLoss.of(v[0], t, w, images), x -> {
            double total = 0;
            for (int i = 0; i < m; i++) {
                double sq = 0;
                for (int j = 0; j < d; j++) sq += Math.pow(x[0].values()[i * d + j] - tv[i * d + j], 2);
                total += wv[i] * 0.5 * sq;
            }
            return DoubleArray.scalar(total / images);
        }, s);
        assertThatThrownBy(() -> PatchAlignmentLoss.of(dev.dinoj.autograd.Variable.constant(s), Tensor.zeros(m, d + 1), w, 2)).hasMessageContaining("[M, D]");
    }
}
