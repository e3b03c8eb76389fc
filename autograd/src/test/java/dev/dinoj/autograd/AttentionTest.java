package dev.dinoj.autograd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.RandomDistribution;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Variable#attention} (the device's attention op on the packed projection, dropout inside it)
 * against the same math built from autograd ops: q, k, v sliced out of [B, N, 3D], softmax with
 * temperature 1/scale, the dropout mask drawn from the same generator, heads concatenated. Values,
 * the gradient of the packed projection and the probabilities agree.
 */
class AttentionTest {
    private static Variable autogradAttention(Variable qkv, int heads, float scale, float dropout, Generator g) {
        int b = qkv.size(0), n = qkv.size(1), dim = qkv.size(2) / 3, hd = dim / heads;
        Variable packed = qkv.reshape(b, n, 3, heads, hd).permute(2, 0, 3, 1, 4);
        Variable q = packed.select(0, 0), k = packed.select(0, 1), v = packed.select(0, 2);
        Variable p = q.matmul(k.transpose(-2, -1)).softmax(1f / scale);
        if (dropout > 0) {
            Tensor mask = Tensor.random(RandomDistribution.BERNOULLI, 1f - dropout, 0f, p.shape(), g, p.data().device()).mul(1f / (1f - dropout));
            p = p.mul(Variable.constant(mask));
        }
        return p.matmul(v).transpose(1, 2).reshape(b, n, dim);
    }

    @ParameterizedTest
    @CsvSource({"2, 5, 3, 8, 0", "1, 17, 1, 32, 0", "3, 7, 4, 4, 0", "2, 9, 2, 8, 0.3"})
    void matchesTheAutogradCompositionWithGradients(int b, int n, int heads, int hd, float dropout) {
        Generator g = new Generator(5);
        Tensor qkv = Tensor.randn(g, b, n, 3 * heads * hd);
        Tensor upstream = Tensor.randn(g, b, n, heads * hd);
        float scale = (float) (1 / Math.sqrt(hd));

        Variable x1 = Variable.leaf(qkv.copy());
        Variable composed = autogradAttention(x1, heads, scale, dropout, new Generator(9));
        composed.backward(upstream);

        Variable x2 = Variable.leaf(qkv.copy());
        Variable.Attended op = x2.attention(heads, scale, dropout, dropout > 0 ? new Generator(9) : null);
        op.output().backward(upstream);

        assertClose(op.output().data(), composed.data());
        assertClose(x2.grad(), x1.grad());
        Tensor p = x1.data().view(b, n, 3, heads, hd).permute(2, 0, 3, 1, 4).select(0, 0)
                .matmul(x1.data().view(b, n, 3, heads, hd).permute(2, 0, 3, 1, 4).select(0, 1).transpose(-2, -1)).softmax(1f / scale);
        assertClose(op.probabilities().get(), p);
        if (dropout > 0) {
            Variable x3 = Variable.leaf(qkv.copy());
            Variable.Attended other = x3.attention(heads, scale, dropout, new Generator(10));
            assertThat(other.output().data().toFloatArray()).as("another generator, another mask").isNotEqualTo(op.output().data().toFloatArray());
        }
    }

    private static void assertClose(Tensor actual, Tensor expected) {
        assertThat(actual.shape()).isEqualTo(expected.shape());
        float[] a = actual.toFloatArray(), e = expected.toFloatArray();
        for (int i = 0; i < a.length; i++) {
            assertThat(a[i]).as("element %d", i).isCloseTo(e[i], org.assertj.core.data.Offset.offset(1e-4f + 1e-4f * Math.abs(e[i])));
        }
    }
}
