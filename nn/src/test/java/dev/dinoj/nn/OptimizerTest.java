package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OptimizerTest {
    private final Generator gen = new Generator(4);

    @Test
    void adamwMatchesTheAlgorithmInDouble() {
        float[] p0 = Tensor.randn(gen, 7).toFloatArray();
        Variable p = Variable.leaf(Tensor.fromArray(p0.clone(), 7));
        AdamW opt = new AdamW(List.of(new ParamGroup(Map.of("p", p), 0.01, 0.05)), 0.9f, 0.99f, 1e-6f);
        double[] ref = new double[7], m = new double[7], v = new double[7];
        for (int i = 0; i < 7; i++) ref[i] = p0[i];
        for (int step = 1; step <= 5; step++) {
            float[] g = Tensor.randn(gen, 7).toFloatArray();
            p.setGrad(Tensor.fromArray(g, 7));
            opt.step();
            for (int i = 0; i < 7; i++) {
                ref[i] *= 1 - 0.01 * 0.05;
                m[i] = 0.9 * m[i] + 0.1 * g[i];
                v[i] = 0.99 * v[i] + 0.01 * g[i] * g[i];
                double mh = m[i] / (1 - Math.pow(0.9, step)), vh = v[i] / (1 - Math.pow(0.99, step));
                ref[i] -= 0.01 * mh / (Math.sqrt(vh) + 1e-6);
            }
        }
        float[] got = p.data().toFloatArray();
        for (int i = 0; i < 7; i++) assertThat((double) got[i]).isCloseTo(ref[i], org.assertj.core.data.Offset.offset(1e-5));
    }

    @Test
    void sgdWithMomentumAndNesterov() {
        for (boolean nesterov : new boolean[] {false, true}) {
            Variable p = Variable.leaf(Tensor.fromArray(new float[] {1f, -2f}, 2));
            Sgd opt = new Sgd(0.9f, nesterov, new ParamGroup(Map.of("p", p), 0.1, 0.01));
            double[] ref = {1, -2}, buf = new double[2];
            float[][] grads = {{0.5f, 1f}, {-1f, 0.25f}, {2f, 0f}};
            for (int s = 0; s < grads.length; s++) {
                p.setGrad(Tensor.fromArray(grads[s], 2));
                opt.step();
                for (int i = 0; i < 2; i++) {
                    double d = grads[s][i] + 0.01 * ref[i];
                    buf[i] = s == 0 ? d : 0.9 * buf[i] + d;
                    ref[i] -= 0.1 * (nesterov ? d + 0.9 * buf[i] : buf[i]);
                }
            }
            float[] got = p.data().toFloatArray();
            assertThat((double) got[0]).isCloseTo(ref[0], org.assertj.core.data.Offset.offset(1e-6));
            assertThat((double) got[1]).isCloseTo(ref[1], org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    @Test
    void biasesAndOneDimensionalParametersGetNoWeightDecay() {
        TransformerBlock b = new TransformerBlock(8, 2, 2f, true, 0f, 0f, 0f, 1e-6f, gen);
        ParamGroup[] groups = ParamGroup.decayAndNoDecay(b.namedParameters(), 1e-3, 0.04);
        assertThat(groups[0].params().keySet()).containsExactly("attn.qkv.weight", "attn.proj.weight", "mlp.fc1.weight", "mlp.fc2.weight");
        assertThat(groups[1].weightDecay()).isZero();
        assertThat(groups[1].params()).containsKey("norm1.weight").containsKey("attn.qkv.bias");
        assertThatThrownBy(() -> new AdamW(groups[0], groups[0])).hasMessageContaining("in two groups");
    }

    @Test
    void stateDictRestoresAnInterruptedRunExactly() {
        float[] init = Tensor.randn(gen, 5).toFloatArray();
        float[][] grads = new float[6][];
        for (int i = 0; i < 6; i++) grads[i] = Tensor.randn(gen, 5).toFloatArray();
        // uninterrupted
        Variable a = Variable.leaf(Tensor.fromArray(init.clone(), 5));
        AdamW optA = new AdamW(new ParamGroup(Map.of("w", a), 0.1, 0.1));
        for (float[] g : grads) {
            a.setGrad(Tensor.fromArray(g, 5));
            optA.step();
        }
        // three steps, save, new optimizer and parameter, load, three more
        Variable b = Variable.leaf(Tensor.fromArray(init.clone(), 5));
        AdamW optB = new AdamW(new ParamGroup(Map.of("w", b), 0.1, 0.1));
        for (int i = 0; i < 3; i++) {
            b.setGrad(Tensor.fromArray(grads[i], 5));
            optB.step();
        }
        Map<String, Tensor> saved = optB.stateDict();
        assertThat(saved.keySet()).containsExactlyInAnyOrder("w.exp_avg", "w.exp_avg_sq", "w.step");
        Variable c = Variable.leaf(b.data().copy());
        AdamW optC = new AdamW(new ParamGroup(Map.of("w", c), 0.1, 0.1));
        optC.loadStateDict(saved);
        for (int i = 3; i < 6; i++) {
            c.setGrad(Tensor.fromArray(grads[i], 5));
            optC.step();
        }
        assertThat(c.data().toFloatArray()).containsExactly(a.data().toFloatArray());
        assertThatThrownBy(() -> optC.loadStateDict(Map.of("v.exp_avg", Tensor.zeros(5)))).hasMessageContaining("names no parameter");
        assertThatThrownBy(() -> optC.loadStateDict(Map.of("w.exp_avg", Tensor.zeros(4)))).hasMessageContaining("has shape [4]");
    }

    @Test
    void frozenParametersAndMissingGradientsAreSkipped() {
        Variable frozen = Variable.leaf(Tensor.ones(2)).requiresGrad(false);
        Variable noGrad = Variable.leaf(Tensor.ones(2));
        new AdamW(new ParamGroup(Map.of("f", frozen, "n", noGrad), 0.1, 0.0)).step();
        assertThat(frozen.data().toFloatArray()).containsOnly(1f);
        assertThat(noGrad.data().toFloatArray()).containsOnly(1f);
    }

    @Test
    void larsScalesEachStepByItsTrustRatioExceptForExcludedParameters() {
        double lr = 0.5, wd = 0.1, m = 0.9, eta = 0.01;
        Variable w = Variable.leaf(Tensor.fromArray(new float[] {3f, -4f}, 2)), b = Variable.leaf(Tensor.fromArray(new float[] {1f}, 1));
        Lars opt = new Lars(List.of(new ParamGroup(Map.of("w", w), lr, wd), new ParamGroup(Map.of("b", b), lr, 0)), (float) m, (float) eta,
                java.util.Set.of("b"));
        double[] wv = {3, -4}, bufW = new double[2];
        double bv = 1, bufB = 0;
        float[][] gw = {{1f, 2f}, {-0.5f, 0.25f}};
        float[] gb = {0.3f, -0.2f};
        for (int step = 0; step < 2; step++) {
            w.setGrad(Tensor.fromArray(gw[step], 2));
            b.setGrad(Tensor.fromArray(new float[] {gb[step]}, 1));
            opt.step();
            // by hand: d = g + wd w, scaled by eta |w| / |d|; momentum buffer starts at d
            double[] d = {gw[step][0] + wd * wv[0], gw[step][1] + wd * wv[1]};
            double trust = eta * Math.hypot(wv[0], wv[1]) / Math.hypot(d[0], d[1]);
            for (int k = 0; k < 2; k++) {
                bufW[k] = step == 0 ? d[k] * trust : m * bufW[k] + d[k] * trust;
                wv[k] -= lr * bufW[k];
            }
            bufB = step == 0 ? gb[step] : m * bufB + gb[step]; // excluded: no decay, no ratio
            bv -= lr * bufB;
            assertThat((double) w.data().toFloatArray()[0]).isCloseTo(wv[0], org.assertj.core.data.Offset.offset(1e-6));
            assertThat((double) w.data().toFloatArray()[1]).isCloseTo(wv[1], org.assertj.core.data.Offset.offset(1e-6));
            assertThat((double) b.data().toFloatArray()[0]).isCloseTo(bv, org.assertj.core.data.Offset.offset(1e-6));
        }
        assertThat(opt.stateDict()).containsKeys("w.momentum_buffer", "b.momentum_buffer");
    }
}
