package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.FusedAttention;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fused-attention path of {@link PackedAttention} (taken on CUDA) against the composed path (the
 * CPU's): run here through a CPU {@link FusedAttention} that follows the fused kernels' contract and
 * math (O and the row log-sum-exp forward; probabilities recomputed from lse backward, with
 * delta = rowsum(dO * O)), so the packing of q, k, v out of [B, N, 3D], the head layout of O and the
 * packing of dq, dk, dv back into one gradient are checked without a GPU.
 */
class PackedAttentionTest {
    /** FlashAttention's equations with plain tensor ops. */
    static final class ReferenceFused implements FusedAttention {
        int forwardCalls, backwardCalls;

        @Override
        public boolean supports(int headDim) {
            return true;
        }

        @Override
        public Tensor[] forward(Tensor q, Tensor k, Tensor v, float scale) {
            forwardCalls++;
            assertThat(q.isContiguous() && k.isContiguous() && v.isContiguous()).isTrue();
            Tensor s = q.matmul(k.transpose(1, 2)).mul(scale);
            Tensor max = s.max(2, true);
            Tensor lse = s.sub(max).exp().sum(2, true).log().add(max);
            Tensor o = s.sub(lse).exp().matmul(v);
            return new Tensor[] {o, lse.reshape(q.size(0), q.size(1))};
        }

        @Override
        public Tensor[] backward(Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor gradOut, float scale) {
            backwardCalls++;
            assertThat(gradOut.isContiguous()).isTrue();
            Tensor p = q.matmul(k.transpose(1, 2)).mul(scale).sub(lse.reshape(q.size(0), q.size(1), 1)).exp();
            Tensor dv = p.transpose(1, 2).matmul(gradOut);
            Tensor delta = gradOut.mul(o).sum(2, true);
            Tensor ds = p.mul(gradOut.matmul(v.transpose(1, 2)).sub(delta)).mul(scale);
            return new Tensor[] {ds.matmul(k), ds.transpose(1, 2).matmul(q), dv};
        }

        @Override
        public Tensor probabilities(Tensor q, Tensor k, Tensor v, float scale) {
            return q.matmul(k.transpose(1, 2)).softmax(1f / scale);
        }
    }

    @ParameterizedTest
    @CsvSource({"2, 5, 3, 8", "1, 17, 1, 32", "3, 7, 4, 4"})
    void fusedPathMatchesTheComposedPathWithGradients(int b, int n, int heads, int hd) {
        Generator g = new Generator(5);
        Tensor qkv = Tensor.randn(g, b, n, 3 * heads * hd);
        Tensor upstream = Tensor.randn(g, b, n, heads * hd);
        float scale = (float) (1 / Math.sqrt(hd));

        Variable x1 = Variable.leaf(qkv.copy());
        MultiHeadAttention.Output composed = PackedAttention.applyComposed(x1, heads, scale);
        composed.output().backward(upstream);

        ReferenceFused fused = new ReferenceFused();
        Variable x2 = Variable.leaf(qkv.copy());
        MultiHeadAttention.Output viaFused = PackedAttention.applyFused(x2, heads, scale, fused);
        viaFused.output().backward(upstream);

        assertThat(fused.forwardCalls).isEqualTo(1);
        assertThat(fused.backwardCalls).isEqualTo(1);
        assertClose(viaFused.output().data(), composed.output().data());
        assertClose(x2.grad(), x1.grad());
        assertClose(viaFused.attention(), composed.attention());
        assertThat(viaFused.attention().shape()).isEqualTo(composed.attention().shape());
    }

    private static void assertClose(Tensor actual, Tensor expected) {
        assertThat(actual.shape()).isEqualTo(expected.shape());
        float[] a = actual.toFloatArray(), e = expected.toFloatArray();
        for (int i = 0; i < a.length; i++) {
            assertThat(a[i]).as("element %d", i).isCloseTo(e[i], org.assertj.core.data.Offset.offset(1e-4f + 1e-4f * Math.abs(e[i])));
        }
    }
}
