package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class BatchNorm1dTest {
    private final Generator gen = new Generator(17);

    @Test
    void trainingNormalisesEachFeatureAndTheRunningStatisticsFollowTorchsRule() {
        int n = 33, c = 7;
        Tensor x = Tensor.randn(gen, n, c).mul(3f).add(5f);
        BatchNorm1d bn = new BatchNorm1d(c);
        float[] y = bn.forward(Variable.constant(x)).data().toFloatArray(), xs = x.toFloatArray();
        float[] rm = bn.stateDict().get("running_mean").toFloatArray(), rv = bn.stateDict().get("running_var").toFloatArray();
        for (int j = 0; j < c; j++) {
            double mean = 0, var = 0, ym = 0, yv = 0;
            for (int i = 0; i < n; i++) mean += xs[i * c + j] / (double) n;
            for (int i = 0; i < n; i++) var += Math.pow(xs[i * c + j] - mean, 2) / n;
            for (int i = 0; i < n; i++) ym += y[i * c + j] / (double) n;
            for (int i = 0; i < n; i++) yv += Math.pow(y[i * c + j] - ym, 2) / n;
            assertThat(ym).isCloseTo(0, within(1e-5));
            assertThat(yv).isCloseTo(var / (var + 1e-5), within(1e-4));
            assertThat((double) rm[j]).isCloseTo(0.1 * mean, within(1e-5));
            assertThat((double) rv[j]).isCloseTo(0.9 + 0.1 * var * n / (n - 1), within(1e-4)); // unbiased in the running variance
        }
        assertThat(bn.stateDict().get("num_batches_tracked").item()).isEqualTo(1f);
    }

    @Test
    void evaluationUsesTheRunningStatistics() {
        BatchNorm1d bn = new BatchNorm1d(3);
        for (int i = 0; i < 4; i++) bn.forward(Variable.constant(Tensor.randn(gen, 9, 3).mul(2f).add(3f))); // running stats away from 0 / 1
        float[] rm = bn.stateDict().get("running_mean").toFloatArray(), rv = bn.stateDict().get("running_var").toFloatArray();
        Tensor x = Tensor.randn(gen, 5, 3);
        bn.eval();
        float[] y = bn.forward(Variable.constant(x)).data().toFloatArray(), xs = x.toFloatArray();
        for (int i = 0; i < xs.length; i++) {
            int j = i % 3;
            assertThat(y[i]).isCloseTo((float) ((xs[i] - rm[j]) / Math.sqrt(rv[j] + 1e-5)), within(1e-5f));
        }
        assertThat(rm[0]).isGreaterThan(0.5f); // 1 - 0.9^4 of the mean 3
        assertThat(bn.stateDict().get("num_batches_tracked").item()).isEqualTo(4f);
    }

    @Test
    void gradientThroughTheBatchStatistics() {
        BatchNorm1d bn = new BatchNorm1d(4);
        // a non-trivial affine part, so the check covers weight and bias too
        bn.namedParameters().get("weight").data().copyFrom(Tensor.randn(gen, 4).add(1f));
        bn.namedParameters().get("bias").data().copyFrom(Tensor.randn(gen, 4));
        ModuleGradCheck.defaults().check(bn, bn::forward, Tensor.randn(gen, 6, 4));
    }

    @Test
    void theFusedReluGivesTheBitsOfBatchNormThenRelu() {
        Tensor x = Tensor.randn(gen, 700, 5), g = Tensor.randn(gen, 700, 5); // 700 rows: several of the kernel's blocks
        float[][] fused = forwardBackward(x, g, true), apart = forwardBackward(x, g, false);
        for (int i = 0; i < fused.length; i++) assertThat(fused[i]).containsExactly(apart[i]);
        assertThat(fused[0]).contains(0f).doesNotContain(-1f); // the ReLU did cut
    }

    /** {output, dx, dweight, dbias, running_mean, running_var} of one training step, with the ReLU fused or applied after. */
    private float[][] forwardBackward(Tensor x, Tensor g, boolean fused) {
        BatchNorm1d bn = new BatchNorm1d(5);
        Generator init = new Generator(4);
        bn.namedParameters().get("weight").data().copyFrom(Tensor.randn(init, 5).add(1f));
        bn.namedParameters().get("bias").data().copyFrom(Tensor.randn(init, 5));
        Variable in = Variable.leaf(x.copy());
        Variable y = fused ? bn.forwardRelu(in) : bn.forward(in).relu();
        y.backward(g);
        return new float[][] {y.data().toFloatArray(), in.grad().toFloatArray(), bn.namedParameters().get("weight").grad().toFloatArray(),
                bn.namedParameters().get("bias").grad().toFloatArray(), bn.stateDict().get("running_mean").toFloatArray(),
                bn.stateDict().get("running_var").toFloatArray()};
    }

    @Test
    void badShapesAreNamed() {
        BatchNorm1d bn = new BatchNorm1d(4);
        assertThatThrownBy(() -> bn.forward(Variable.constant(Tensor.zeros(3, 5)))).hasMessageContaining("[N, 4]");
        assertThatThrownBy(() -> bn.forward(Variable.constant(Tensor.zeros(1, 4)))).hasMessageContaining("more than one sample");
    }
}
