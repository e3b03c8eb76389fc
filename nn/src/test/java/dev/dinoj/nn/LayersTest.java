package dev.dinoj.nn;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Forward values of layers against independent references, and their input checks. */
class LayersTest {
    private final Generator gen = new Generator(3);

    @Test
    void patchConvEqualsANaiveStridedConvolution() {
        PatchConv2d conv = new PatchConv2d(3, 5, 4, gen);
        Tensor x = Tensor.randn(gen, 2, 3, 8, 12);
        Tensor y = conv.forward(Variable.constant(x)).data();
        assertThat(y.dims()).containsExactly(2, 6, 5);
        Tensor w = conv.namedParameters().get("weight").data(), b = conv.namedParameters().get("bias").data();
        for (int n = 0; n < 2; n++) {
            for (int gy = 0; gy < 2; gy++) {
                for (int gx = 0; gx < 3; gx++) {
                    for (int o = 0; o < 5; o++) {
                        double s = b.get(o);
                        for (int c = 0; c < 3; c++) {
                            for (int i = 0; i < 4; i++) {
                                for (int j = 0; j < 4; j++) s += (double) w.get(o, c, i, j) * x.get(n, c, gy * 4 + i, gx * 4 + j);
                            }
                        }
                        assertThat(y.get(n, gy * 3 + gx, o)).isCloseTo((float) s, org.assertj.core.data.Offset.offset(1e-4f));
                    }
                }
            }
        }
        assertThatThrownBy(() -> conv.forward(Variable.constant(Tensor.zeros(1, 3, 6, 8)))).hasMessageContaining("not a multiple of the patch size 4");
    }

    @Test
    void attentionReturnsRowStochasticProbabilitiesAndMatchesAManualComputation() {
        MultiHeadAttention attn = new MultiHeadAttention(6, 3, true, 0f, 0f, gen);
        Tensor x = Tensor.randn(gen, 2, 5, 6);
        MultiHeadAttention.Output out = attn.forwardWithAttention(Variable.constant(x));
        assertThat(out.attention().dims()).containsExactly(2, 3, 5, 5);
        assertThat(out.attention().sum(-1, false).sub(1f).abs().max().item()).isLessThan(1e-5f);
        // manual: head h uses columns h*2..h*2+1 of q, k, v
        Tensor qkvW = attn.namedParameters().get("qkv.weight").data(), qkvB = attn.namedParameters().get("qkv.bias").data();
        Tensor qkv = x.matmul(qkvW.t()).add(qkvB);
        Tensor q = qkv.narrow(-1, 2, 2), k = qkv.narrow(-1, 8, 2); // head 1
        Tensor probs = q.matmul(k.transpose(-2, -1)).mul((float) (1 / Math.sqrt(2))).softmax();
        assertThat(out.attention().select(1, 1).sub(probs).abs().max().item()).isLessThan(1e-5f);
        assertThatThrownBy(() -> new MultiHeadAttention(10, 3, true, 0f, 0f, gen)).hasMessageContaining("not divisible");
    }

    @Test
    void weightNormKeepsUnitRowsWhenTheGainIsFrozenAtOne() {
        WeightNormLinear wn = new WeightNormLinear(8, 6, gen);
        wn.weightG().data().fill(1f);
        wn.freezeGain(true);
        Tensor rows = wn.weight().data().norm(new int[] {1}, false);
        assertThat(rows.sub(1f).abs().max().item()).isLessThan(1e-5f);
        assertThat(wn.weightG().requiresGrad()).isFalse();
        assertThat(wn.namedParameters().keySet()).containsExactly("weight_g", "weight_v");
        assertThat(wn.weightG().dims()).containsExactly(6, 1);
    }

    @Test
    void dropoutAndDropPathInTrainAndEval() {
        Dropout d = new Dropout(0.5f);
        Tensor x = Tensor.ones(2000);
        Tensor y = d.forward(Variable.constant(x)).data();
        float kept = y.gt(0f).mean().item();
        assertThat(kept).isBetween(0.45f, 0.55f);
        assertThat(y.max().item()).isEqualTo(2f);
        d.eval();
        assertThat(d.forward(Variable.constant(x)).data().toFloatArray()).containsOnly(1f);
        DropPath dp = new DropPath(0.5f);
        Tensor z = dp.forward(Variable.constant(Tensor.ones(400, 3, 2))).data();
        // whole samples are dropped or kept together
        Tensor perSample = z.sum(new int[] {1, 2}, false);
        assertThat(perSample.eq(0f).add(perSample.eq(12f)).min().item()).isEqualTo(1f);
        assertThatThrownBy(() -> new Dropout(1f)).hasMessageContaining("[0, 1)");
    }

    @Test
    void initialisations() {
        Tensor t = Tensor.empty(200, 200);
        Init.truncNormal(t, 0f, 1f, -1f, 1.5f, gen);
        assertThat(t.min().item()).isGreaterThanOrEqualTo(-1f);
        assertThat(t.max().item()).isLessThanOrEqualTo(1.5f);
        Init.truncNormal(t, 0.02f, gen);
        assertThat(t.var(new int[] {0, 1}, false, 1).item()).isCloseTo(0.0004f, org.assertj.core.data.Offset.offset(0.00002f));
        Linear l = new Linear(100, 50, true, gen);
        float bound = 0.1f;
        assertThat(l.weight().data().abs().max().item()).isLessThanOrEqualTo(bound);
        assertThat(l.weight().data().abs().max().item()).isGreaterThan(0.09f);
        assertThat(l.bias().data().abs().max().item()).isLessThanOrEqualTo(bound);
        assertThatThrownBy(() -> Init.truncNormal(t, 0f, 1f, 50f, 51f, gen)).hasMessageContaining("almost no mass");
    }

    @Test
    void layersRejectWrongInputShapes() {
        assertThatThrownBy(() -> new Linear(4, 2, true, gen).forward(Variable.constant(Tensor.zeros(3, 5))))
                .hasMessageContaining("Linear(4 -> 2)").hasMessageContaining("[3, 5]");
        assertThatThrownBy(() -> new LayerNorm(4, 1e-6f).forward(Variable.constant(Tensor.zeros(2, 3))))
                .hasMessageContaining("LayerNorm(4)");
        try (GradMode.Scope s = GradMode.disabled()) {
            assertThatThrownBy(() -> new MultiHeadAttention(4, 2, true, 0f, 0f, gen).forward(Variable.constant(Tensor.zeros(2, 4))))
                    .hasMessageContaining("[B, N, 4]");
        }
    }
}
