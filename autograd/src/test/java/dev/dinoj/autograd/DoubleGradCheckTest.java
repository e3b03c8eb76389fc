package dev.dinoj.autograd;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every backward rule of {@link Derivatives} against central differences of a double-precision
 * reference of its formula, at 1e-5 (1000 times tighter than {@link GradCheckTest}'s float32 check),
 * on odd sizes, broadcast and strided inputs. Each reference is written from the op's definition
 * with {@link DoubleArray}, not from the tensor code.
 */
class DoubleGradCheckTest {
    private final Generator gen = new Generator(91);
    private final DoubleGradCheck check = DoubleGradCheck.defaults();

    private Tensor randn(int... dims) {
        return Tensor.randn(gen, dims);
    }

    private Tensor awayFromZero(int... dims) {
        Tensor x = randn(dims);
        return Tensor.where(x.ge(0f), x.add(0.2f), x.sub(0.2f));
    }

    private static DoubleArray of(Tensor t) {
        return DoubleArray.of(t);
    }

    @Test
    void aBackwardRuleOffByAHundredthOfAPercentFailsHereWhereTheFloat32CheckSeesNothing() {
        GradCheck.Function slightlyWrong = v -> Variable.fromOp("square", v[0].data().square(),
                g -> new Tensor[] {g.mul(v[0].data()).mul(2.0002f)}, v[0]);
        DoubleGradCheck.Reference square = x -> x[0].map(a -> a * a);
        Tensor x = randn(7, 5);
        assertThat(GradCheck.defaults().maxRelativeError(slightlyWrong, x)).as("the float32 checker cannot see it").isLessThan(1e-2);
        assertThat(check.measure(slightlyWrong, square, x).gradient()).isGreaterThan(5e-5);
        assertThatThrownBy(() -> check.check(slightlyWrong, square, x)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("against the double reference");
        check.check(v -> v[0].square(), square, x);
        // a reference of another function is refused on its values, before any gradient is compared
        assertThatThrownBy(() -> check.check(v -> v[0].square(), a -> a[0].map(b -> b * b * 1.001), x))
                .hasMessageContaining("values differ");
    }

    @Test
    void theErrorFunctionReferenceIsAccurate() {
        // reference values of erf to double precision, and its symmetry
        assertThat(DoubleArray.erf(0.5)).isCloseTo(0.5204998778130465, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(DoubleArray.erf(1.0)).isCloseTo(0.8427007929497149, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(DoubleArray.erf(2.0)).isCloseTo(0.9953222650189527, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(DoubleArray.erf(3.0)).isCloseTo(0.9999779095030014, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(DoubleArray.erf(-2.6)).isCloseTo(-0.9997639655834707, org.assertj.core.data.Offset.offset(1e-15));
        // the two branches meet at 2.5
        assertThat(DoubleArray.erf(2.5 - 1e-12)).isCloseTo(DoubleArray.erf(2.5), org.assertj.core.data.Offset.offset(1e-13));
    }

    @Test
    void broadcastingArithmetic() {
        check.check(v -> v[0].add(v[1]), x -> x[0].add(x[1]), randn(4, 1, 3), randn(5, 1));
        check.check(v -> v[0].sub(v[1]), x -> x[0].sub(x[1]), randn(3, 7), randn(7));
        check.check(v -> v[0].mul(v[1]), x -> x[0].mul(x[1]), randn(2, 3, 5), randn(3, 1));
        check.check(v -> v[0].div(v[1]), x -> x[0].div(x[1]), randn(6, 5), awayFromZero(5).abs().add(0.5f));
        check.check(v -> v[0].mul(2.5f).add(1f).sub(0.5f).div(3f).neg(), x -> x[0].mul(2.5).add(1).add(-0.5).mul(-1 / 3.0), randn(9));
        check.check(v -> v[0].transpose(0, 1).mul(v[1]), x -> x[0].transpose(0, 1).mul(x[1]), randn(5, 3), randn(3, 1));
    }

    @Test
    void unaryFunctions() {
        Tensor pos = randn(33).abs().add(0.3f);
        check.check(v -> v[0].exp(), x -> x[0].map(Math::exp), randn(33));
        check.check(v -> v[0].log(), x -> x[0].map(Math::log), pos);
        check.check(v -> v[0].sqrt(), x -> x[0].map(Math::sqrt), pos);
        check.check(v -> v[0].rsqrt(), x -> x[0].map(a -> 1 / Math.sqrt(a)), pos);
        check.check(v -> v[0].pow(2.7f), x -> x[0].map(a -> Math.pow(a, 2.7f)), pos);
        check.check(v -> v[0].abs(), x -> x[0].map(Math::abs), awayFromZero(17));
        check.check(v -> v[0].tanh(), x -> x[0].map(Math::tanh), randn(17));
        check.check(v -> v[0].sigmoid(), x -> x[0].map(a -> 1 / (1 + Math.exp(-a))), randn(17));
        check.check(v -> v[0].relu(), x -> x[0].map(a -> Math.max(a, 0)), awayFromZero(17));
        check.check(v -> v[0].gelu(), x -> x[0].map(a -> 0.5 * a * (1 + DoubleArray.erf(a / Math.sqrt(2)))), randn(5, 13).mul(2f));
        check.check(v -> v[0].clampMin(0f), x -> x[0].map(a -> Math.max(a, 0)), awayFromZero(17));
        Tensor acrossTheBounds = Tensor.fromArray(new float[] {-2.3f, -1.4f, -0.7f, -0.2f, 0.1f, 0.6f, 0.9f, 1.3f, 2.8f}, 9);
        check.check(v -> v[0].clamp(-1f, 1f), x -> x[0].map(a -> Math.min(Math.max(a, -1), 1)), acrossTheBounds);
        Tensor mask = randn(4, 6).gt(0f);
        check.check(v -> Variable.where(mask, v[0], v[1]), x -> DoubleArray.where(of(mask), x[0], x[1]), randn(4, 6), randn(6));
    }

    @Test
    void matmulIncludingBatchedBroadcastAndTransposedOperands() {
        check.check(v -> v[0].matmul(v[1]), x -> x[0].matmul(x[1]), randn(7, 5), randn(5, 3));
        check.check(v -> v[0].matmul(v[1]), x -> x[0].matmul(x[1]), randn(2, 3, 4, 5), randn(5, 6));
        check.check(v -> v[0].matmul(v[1].transpose(-2, -1)), x -> x[0].matmul(x[1].transpose(-2, -1)), randn(3, 7, 4), randn(3, 5, 4));
        check.check(v -> v[0].transpose(0, 1).matmul(v[1]), x -> x[0].transpose(0, 1).matmul(x[1]), randn(4, 7), randn(4, 2));
        check.maxElementsPerInput(60).check(v -> v[0].matmul(v[1]), x -> x[0].matmul(x[1]), randn(33, 70), randn(70, 17));
    }

    @Test
    void matmulWithBiasAsALinearLayer() {
        check.check(v -> v[0].matmul(v[1], v[2]), x -> x[0].matmul(x[1]).add(x[2]), randn(7, 5), randn(5, 3), randn(3));
        check.check(v -> v[0].matmul(v[1].transpose(0, 1), v[2]), x -> x[0].matmul(x[1].transpose(0, 1)).add(x[2]), randn(6, 4), randn(9, 4),
                randn(9));
    }

    @Test
    void softmaxAndLogSoftmaxWithTemperature() {
        check.check(v -> v[0].softmax(1f), x -> x[0].softmax(1), randn(3, 7));
        check.check(v -> v[0].softmax(0.5f), x -> x[0].softmax(0.5), randn(2, 3, 5));
        check.check(v -> v[0].logSoftmax(1f), x -> x[0].logSoftmax(1), randn(4, 9));
        check.check(v -> v[0].logSoftmax(0.1f), x -> x[0].logSoftmax(0.1f), randn(3, 5).mul(0.1f));
        check.check(v -> v[0].transpose(0, 1).softmax(0.7f), x -> x[0].transpose(0, 1).softmax(0.7f), randn(6, 4));
    }

    @Test
    void batchNormWithAndWithoutAffineAgainstColumnStatistics() {
        // the reference: each column normalised by its rows' mean and biased variance, as LayerNorm of the transpose
        check.check(v -> v[0].batchNorm(v[1], v[2], 1e-5f).output(),
                x -> x[0].transpose(0, 1).layerNorm(null, null, 1e-5f).transpose(0, 1).mul(x[1]).add(x[2]), randn(9, 5), randn(5), randn(5));
        check.check(v -> v[0].batchNorm(null, null, 1e-5f).output(), x -> x[0].transpose(0, 1).layerNorm(null, null, 1e-5f).transpose(0, 1),
                randn(4, 3));
        check.check(v -> v[0].transpose(0, 1).batchNorm(v[1], null, 1e-5f).output(),
                x -> x[0].layerNorm(null, null, 1e-5f).transpose(0, 1).mul(x[1]), randn(6, 7), randn(6));
        // fused with the ReLU that follows it in the conv stem
        check.check(v -> v[0].batchNorm(v[1], v[2], 1e-5f, true).output(),
                x -> x[0].transpose(0, 1).layerNorm(null, null, 1e-5f).transpose(0, 1).mul(x[1]).add(x[2]).map(a -> Math.max(a, 0)),
                randn(8, 4), randn(4), randn(4));
        // more rows than one block of the CPU kernel's partial sums (256), and a mean far from zero
        check.check(v -> v[0].add(20f).batchNorm(v[1], v[2], 1e-5f).output(),
                x -> x[0].add(20).transpose(0, 1).layerNorm(null, null, 1e-5f).transpose(0, 1).mul(x[1]).add(x[2]), randn(600, 3), randn(3), randn(3));
    }

    @Test
    void layerNormWithAndWithoutAffine() {
        check.check(v -> v[0].layerNorm(v[1], v[2], 1e-5f), x -> x[0].layerNorm(x[1], x[2], 1e-5f), randn(4, 7), randn(7), randn(7));
        check.check(v -> v[0].layerNorm(null, null, 1e-5f), x -> x[0].layerNorm(null, null, 1e-5f), randn(2, 3, 9));
        check.check(v -> v[0].transpose(0, 1).layerNorm(v[1], null, 1e-5f), x -> x[0].transpose(0, 1).layerNorm(x[1], null, 1e-5f), randn(5, 3), randn(5));
        check.check(v -> v[0].layerNorm(v[1], v[2], 1e-6f), x -> x[0].layerNorm(x[1], x[2], 1e-6f), randn(3, 96), randn(96), randn(96));
    }

    @Test
    void reductions() {
        check.check(v -> v[0].sum(), x -> DoubleArray.scalar(x[0].sum()).reshape(), randn(4, 5));
        check.check(v -> v[0].sum(new int[] {0, 2}, false), x -> x[0].sum(new int[] {0, 2}, false), randn(3, 4, 5));
        check.check(v -> v[0].sum(1, true), x -> x[0].sum(new int[] {1}, true), randn(3, 4, 5));
        check.check(v -> v[0].mean(), x -> DoubleArray.scalar(x[0].sum() / x[0].numel()).reshape(), randn(6, 7));
        check.check(v -> v[0].mean(new int[] {-1}, false), x -> x[0].mean(new int[] {-1}, false), randn(3, 8));
        check.check(v -> v[0].max(1, false), x -> x[0].max(1, false), randn(4, 9));
        check.check(v -> v[0].max(0, true), x -> x[0].max(0, true), randn(4, 9));
        check.check(v -> v[0].norm(new int[] {1}, true), x -> x[0].norm(new int[] {1}, true), randn(5, 6));
        check.check(v -> v[0].normalize(-1, 1e-12f), x -> x[0].div(x[0].norm(new int[] {-1}, true)), randn(4, 7));
        check.check(v -> v[0].transpose(0, 1).normalize(-1, 1e-12f), x -> x[0].transpose(0, 1).div(x[0].transpose(0, 1).norm(new int[] {-1}, true)), randn(7, 4));
    }

    @Test
    void viewsJoinsAndIndexing() {
        check.check(v -> v[0].reshape(6, 2).mul(v[1]), x -> x[0].reshape(6, 2).mul(x[1]), randn(3, 4), randn(6, 2));
        check.check(v -> v[0].view(2, 6).mul(v[1]), x -> x[0].reshape(2, 6).mul(x[1]), randn(3, 4), randn(2, 6));
        check.check(v -> v[0].unsqueeze(0).squeeze(0).mul(v[1]), x -> x[0].mul(x[1]), randn(3, 4), randn(3, 4));
        check.check(v -> v[0].permute(2, 0, 1).contiguous().mul(v[1]), x -> x[0].permute(2, 0, 1).mul(x[1]), randn(2, 3, 4), randn(4, 2, 3));
        check.check(v -> v[0].flatten(0, 1).mul(v[1]), x -> x[0].reshape(6, 4).mul(x[1]), randn(2, 3, 4), randn(6, 4));
        check.check(v -> v[0].unsqueeze(1).expand(3, 5, 4).mul(v[1]), x -> x[0].reshape(3, 1, 4).expand(3, 5, 4).mul(x[1]), randn(3, 4), randn(3, 5, 4));
        check.check(v -> v[0].narrow(1, 1, 3).mul(v[1]), x -> x[0].narrow(1, 1, 3).mul(x[1]), randn(4, 5), randn(4, 3));
        check.check(v -> v[0].select(0, 2).mul(v[1]), x -> x[0].select(0, 2).mul(x[1]), randn(4, 5), randn(5));
        check.check(v -> Variable.cat(1, v[0], v[1].transpose(0, 1)), x -> DoubleArray.cat(1, x[0], x[1].transpose(0, 1)), randn(3, 2), randn(4, 3));
        check.check(v -> Variable.stack(0, List.of(v[0], v[1])).mul(v[0]),
                x -> DoubleArray.cat(0, x[0].reshape(1, 3, 2), x[1].reshape(1, 3, 2)).mul(x[0]), randn(3, 2), randn(3, 2));
        check.check(v -> v[0].chunk(3, 0).get(1).mul(v[0].chunk(3, 0).get(0)), x -> x[0].narrow(0, 3, 3).mul(x[0].narrow(0, 0, 3)), randn(7, 2));
        check.check(v -> v[0].indexSelect(0, Tensor.fromIndices(new int[] {2, 0, 2})).mul(v[1]),
                x -> x[0].indexSelect(0, 2, 0, 2).mul(x[1]), randn(4, 3), randn(3, 3));
        check.check(v -> v[0].gather(1, Tensor.fromIndices(new int[] {1, 1, 0, 2}, 2, 2)).mul(v[1]),
                x -> x[0].gather(1, new int[] {1, 1, 0, 2}, 2, 2).mul(x[1]), randn(2, 3), randn(2, 2));
    }

    @Test
    void packedMultiHeadAttentionWithoutDropout() {
        int b = 2, n = 5, heads = 3, hd = 4, dim = heads * hd;
        float scale = (float) (1 / Math.sqrt(hd));
        DoubleGradCheck.Reference attention = x -> {
            // [B, N, 3, H, d] -> q, k, v of [B, H, N, d]; softmax(q k^T * scale) v; heads back side by side
            DoubleArray packed = x[0].reshape(b, n, 3, heads, hd).permute(2, 0, 3, 1, 4);
            DoubleArray q = packed.select(0, 0), k = packed.select(0, 1), v = packed.select(0, 2);
            DoubleArray p = q.matmul(k.transpose(-2, -1)).mul(scale).softmax(1);
            return p.matmul(v).transpose(1, 2).reshape(b, n, dim);
        };
        check.check(v -> v[0].attention(heads, scale, 0f, null).output(), attention, randn(b, n, 3 * dim));
    }
}
