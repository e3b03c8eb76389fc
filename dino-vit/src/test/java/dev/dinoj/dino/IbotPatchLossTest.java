package dev.dinoj.dino;

import dev.dinoj.autograd.DoubleArray;
import dev.dinoj.autograd.DoubleGradCheck;
import dev.dinoj.nn.Schedule;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/** The iBOT patch term against the reference's formula in double, and its teacher targets. */
class IbotPatchLossTest {
    private final Generator gen = new Generator(8);

    @Test
    void valueAndGradientEqualTheFormulaInDouble() {
        int m = 7, k = 5, images = 4;
        float ts = 0.1f;
        Tensor student = Tensor.randn(gen, m, k), targets = Tensor.rand(gen, m, k).add(0.1f);
        targets = targets.div(targets.sum(1, true));
        // patches of three masked images (3, 2 and 2 patches): weights 1/3, 1/2, 1/2
        Tensor weights = Tensor.fromArray(new float[] {1 / 3f, 1 / 3f, 1 / 3f, 0.5f, 0.5f, 0.5f, 0.5f}, m);
        IbotPatchLoss loss = new IbotPatchLoss(k, ts, Schedule.constant(0.04, 1), 0.9f, DinoLoss.Centering.SINKHORN_KNOPP);
        double[] q = DoubleArray.of(targets).values(), w = DoubleArray.of(weights).values();
        Tensor t = targets;
        DoubleGradCheck.defaults().check(v -> loss.forward(v[0], t, weights, images), x -> {
            double[] s = x[0].values();
            double total = 0;
            for (int i = 0; i < m; i++) {
                double max = Double.NEGATIVE_INFINITY, z = 0;
                for (int j = 0; j < k; j++) max = Math.max(max, s[i * k + j] / ts);
                for (int j = 0; j < k; j++) z += Math.exp(s[i * k + j] / ts - max);
                double ce = 0;
                for (int j = 0; j < k; j++) ce -= q[i * k + j] * (s[i * k + j] / ts - max - Math.log(z));
                total += w[i] * ce;
            }
            return DoubleArray.scalar(total / images);
        }, student);
    }

    private static double spread(float[] v) {
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (float x : v) {
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        return hi - lo;
    }

    @Test
    void targetsAreSinkhornBalancedOrCentredDistributions() {
        int m = 12, k = 6;
        Tensor logits = Tensor.randn(gen, m, k);
        // a mild temperature, at which three rounds come close to equal use of the prototypes
        IbotPatchLoss sk = new IbotPatchLoss(k, 0.1f, Schedule.constant(1.0, 1), 0.9f, DinoLoss.Centering.SINKHORN_KNOPP);
        Tensor q = sk.targets(logits, 0);
        float[] rows = q.sum(1, false).toFloatArray(), cols = q.sum(0, false).toFloatArray();
        for (float r : rows) assertThat((double) r).isCloseTo(1, offset(1e-4));
        for (float c : cols) assertThat((double) c).isCloseTo((double) m / k, offset(0.1 * m / k));
        float[] plain = logits.softmax(1f).sum(0, false).toFloatArray();
        assertThat(spread(cols)).isLessThan(0.5 * spread(plain));
        IbotPatchLoss centred = new IbotPatchLoss(k, 0.1f, Schedule.constant(0.07, 1), 0.5f, DinoLoss.Centering.EMA);
        centred.updateCenter(logits);
        float[] c = centred.center().toFloatArray(), mean = logits.mean(0, false).toFloatArray();
        for (int j = 0; j < k; j++) assertThat((double) c[j]).isCloseTo(0.5 * mean[j], offset(1e-6));
        assertThat(centred.targets(logits, 0).toFloatArray()).containsExactly(logits.sub(centred.center()).softmax(0.07f).toFloatArray());
        assertThatThrownBy(() -> sk.forward(dev.dinoj.autograd.Variable.constant(Tensor.zeros(3, 4)), Tensor.zeros(3, 4), Tensor.ones(3), 2))
                .hasMessageContaining("[M, 6]");
    }
}
