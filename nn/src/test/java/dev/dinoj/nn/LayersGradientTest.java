package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A gradient check (input and every trainable parameter) for every layer. */
class LayersGradientTest {
    private final Generator gen = new Generator(11);
    private final ModuleGradCheck check = ModuleGradCheck.defaults();

    @Test
    void linearWithAndWithoutBiasOnBatchedInput() {
        Linear l = new Linear(5, 3, true, gen);
        check.check(l, l::forward, Tensor.randn(gen, 2, 4, 5));
        Linear nb = new Linear(6, 2, false, gen);
        check.check(nb, nb::forward, Tensor.randn(gen, 7, 6));
        // a non-contiguous input (transposed view)
        check.check(l, x -> l.forward(x.transpose(0, 1)), Tensor.randn(gen, 5, 4));
    }

    @Test
    void layerNormGeluIdentitySequentialMlp() {
        LayerNorm ln = new LayerNorm(7, 1e-6f);
        Init.truncNormal(ln.namedParameters().get("weight").data(), 0.5f, gen).addInPlace(1f);
        Init.truncNormal(ln.namedParameters().get("bias").data(), 0.5f, gen);
        check.check(ln, ln::forward, Tensor.randn(gen, 3, 5, 7));
        Gelu gelu = new Gelu();
        check.check(gelu, gelu::forward, Tensor.randn(gen, 4, 9));
        Identity id = new Identity();
        check.check(id, id::forward, Tensor.randn(gen, 3));
        Sequential seq = new Sequential(new Linear(4, 6, true, gen), new Gelu(), new Linear(6, 2, true, gen));
        assertThat(seq.namedParameters().keySet()).containsExactly("0.weight", "0.bias", "2.weight", "2.bias");
        check.check(seq, seq::forward, Tensor.randn(gen, 5, 4));
        Mlp mlp = new Mlp(6, 12, 6, 0f, gen);
        check.check(mlp, mlp::forward, Tensor.randn(gen, 2, 3, 6));
    }

    @Test
    void dropoutAndDropPathWithAFixedMask() {
        Dropout d = new Dropout(0.3f);
        check.check(d, x -> {
            d.setGenerator(new Generator(5));
            return d.forward(x);
        }, Tensor.randn(gen, 6, 7));
        DropPath dp = new DropPath(0.4f);
        check.check(dp, x -> {
            dp.setGenerator(new Generator(6));
            return dp.forward(x);
        }, Tensor.randn(gen, 8, 3, 4));
    }

    @Test
    void attentionBlockPatchEmbeddingAndWeightNorm() {
        MultiHeadAttention attn = new MultiHeadAttention(8, 2, true, 0f, 0f, gen);
        check.check(attn, attn::forward, Tensor.randn(gen, 2, 5, 8));
        TransformerBlock block = new TransformerBlock(8, 2, 2f, true, 0f, 0f, 0f, 1e-6f, gen);
        check.check(block, block::forward, Tensor.randn(gen, 2, 3, 8));
        PatchConv2d conv = new PatchConv2d(3, 4, 2, gen);
        check.check(conv, conv::forward, Tensor.randn(gen, 2, 3, 4, 6));
        WeightNormLinear wn = new WeightNormLinear(5, 7, gen);
        check.check(wn, wn::forward, Tensor.randn(gen, 3, 5));
        wn.freezeGain(true);
        check.check(wn, wn::forward, Tensor.randn(gen, 3, 5));
    }

    @Test
    void theModuleCheckerCatchesAWrongParameterGradient() {
        // planted bug: a layer whose weight gradient is scaled by 1.2
        Module bad = new Module() {
            final Variable w = registerParameter("w", Tensor.randn(gen, 4));

            @Override
            public Variable forward(Variable x) {
                Tensor out = x.data().mul(w.data());
                return Variable.fromOp("badScale", out, g -> new Tensor[] {g.mul(w.data()), g.mul(x.data()).sum(0, false).mul(1.2f)}, x, w);
            }
        };
        Tensor x = Tensor.randn(gen, 3, 4);
        assertThat(check.errors(bad, bad::forward, x).get("w")).isGreaterThan(0.1);
        assertThat(check.errors(bad, bad::forward, x).get("input")).isLessThan(1e-2);
    }
}
