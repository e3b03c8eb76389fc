package dev.dinoj.autograd;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A gradient check for every differentiable op, on odd sizes, broadcast and non-contiguous inputs. */
class GradCheckTest {
    private final Generator gen = new Generator(77);
    private final GradCheck check = GradCheck.defaults();

    private Tensor randn(int... dims) {
        return Tensor.randn(gen, dims);
    }

    /** Values bounded away from 0 by at least 0.2, for ops with kinks or poles there. */
    private Tensor awayFromZero(int... dims) {
        Tensor x = randn(dims);
        return Tensor.where(x.ge(0f), x.add(0.2f), x.sub(0.2f));
    }

    @Test
    void theCheckerCatchesAPlantedBug() {
        // a wrong backward (10% too large) must fail, the right one must pass
        GradCheck.Function wrong = v -> Variable.fromOp("badSquare", v[0].data().square(),
                g -> new Tensor[] {g.mul(v[0].data()).mul(2.2f)}, v[0]);
        GradCheck.Function right = v -> Variable.fromOp("square", v[0].data().square(),
                g -> new Tensor[] {g.mul(v[0].data()).mul(2f)}, v[0]);
        Tensor x = randn(7, 5);
        assertThat(check.maxRelativeError(wrong, x)).isGreaterThan(0.05);
        assertThatThrownBy(() -> check.check(wrong, x)).isInstanceOf(AssertionError.class).hasMessageContaining("exceeds tolerance");
        assertThat(check.maxRelativeError(right, x)).isLessThan(1e-2);
        // a dropped term (softmax without the dot-product correction) must fail too
        GradCheck.Function badSoftmax = v -> {
            Tensor y = v[0].data().softmax(1f);
            return Variable.fromOp("badSoftmax", y, g -> new Tensor[] {g.mul(y)}, v[0]);
        };
        assertThat(check.maxRelativeError(badSoftmax, randn(3, 6))).isGreaterThan(0.05);
    }

    @Test
    void broadcastingArithmetic() {
        check.check(v -> v[0].add(v[1]), randn(4, 1, 3), randn(5, 1));
        check.check(v -> v[0].sub(v[1]), randn(3, 7), randn(7));
        check.check(v -> v[0].mul(v[1]), randn(2, 3, 5), randn(3, 1));
        check.check(v -> v[0].div(v[1]), randn(6, 5), awayFromZero(5).abs().add(0.5f));
        check.check(v -> v[0].mul(2.5f).add(1f).sub(0.5f).div(3f).neg(), randn(9));
        // non-contiguous inputs: a transposed view feeding a broadcast op
        check.check(v -> v[0].transpose(0, 1).mul(v[1]), randn(5, 3), randn(3, 1));
    }

    @Test
    void unaryFunctions() {
        Tensor pos = randn(33).abs().add(0.3f);
        check.check(v -> v[0].exp(), randn(33));
        check.check(v -> v[0].log(), pos);
        check.check(v -> v[0].sqrt(), pos);
        check.check(v -> v[0].rsqrt(), pos);
        check.check(v -> v[0].pow(2.7f), pos);
        check.check(v -> v[0].square(), randn(7, 3));
        check.check(v -> v[0].abs(), awayFromZero(17));
        check.check(v -> v[0].tanh(), randn(17));
        check.check(v -> v[0].sigmoid(), randn(17));
        check.check(v -> v[0].relu(), awayFromZero(17));
        check.check(v -> v[0].gelu(), randn(5, 13).mul(2f));
        check.check(v -> v[0].clampMin(0f), awayFromZero(17));
        check.check(v -> v[0].clamp(-0.1f, 0.1f), awayFromZero(17));
        Tensor mask = randn(4, 6).gt(0f);
        check.check(v -> Variable.where(mask, v[0], v[1]), randn(4, 6), randn(6));
    }

    @Test
    void matmulIncludingBatchedBroadcastAndTransposedOperands() {
        check.check(v -> v[0].matmul(v[1]), randn(7, 5), randn(5, 3));
        check.check(v -> v[0].matmul(v[1]), randn(2, 3, 4, 5), randn(5, 6));
        check.check(v -> v[0].matmul(v[1].transpose(-2, -1)), randn(3, 7, 4), randn(3, 5, 4));
        check.check(v -> v[0].transpose(0, 1).matmul(v[1]), randn(4, 7), randn(4, 2));
    }

    @Test
    void softmaxAndLogSoftmaxWithTemperature() {
        check.check(v -> v[0].softmax(1f), randn(3, 7));
        check.check(v -> v[0].softmax(0.5f), randn(2, 3, 5));
        check.check(v -> v[0].logSoftmax(1f), randn(4, 9));
        check.check(v -> v[0].logSoftmax(0.1f).mul(0.1f), randn(3, 5).mul(0.1f));
        check.check(v -> v[0].transpose(0, 1).softmax(0.7f), randn(6, 4)); // strided input
    }

    @Test
    void layerNormWithAndWithoutAffine() {
        check.check(v -> v[0].layerNorm(v[1], v[2], 1e-5f), randn(4, 7), randn(7), randn(7));
        check.check(v -> v[0].layerNorm(null, null, 1e-5f), randn(2, 3, 9));
        check.check(v -> v[0].transpose(0, 1).layerNorm(v[1], null, 1e-5f), randn(5, 3), randn(5));
    }

    @Test
    void reductions() {
        check.check(v -> v[0].sum(), randn(4, 5));
        check.check(v -> v[0].sum(new int[] {0, 2}, false), randn(3, 4, 5));
        check.check(v -> v[0].sum(1, true), randn(3, 4, 5));
        check.check(v -> v[0].mean(), randn(6, 7));
        check.check(v -> v[0].mean(new int[] {-1}, false), randn(3, 8));
        check.check(v -> v[0].max(1, false), randn(4, 9));
        check.check(v -> v[0].max(0, true), randn(4, 9));
        check.check(v -> v[0].norm(new int[] {1}, true), randn(5, 6));
        check.check(v -> v[0].normalize(-1, 1e-12f), randn(4, 7));
        check.check(v -> v[0].transpose(0, 1).normalize(-1, 1e-12f), randn(7, 4));
    }

    @Test
    void viewsJoinsAndIndexing() {
        check.check(v -> v[0].reshape(6, 2).mul(v[1]), randn(3, 4), randn(6, 2));
        check.check(v -> v[0].view(2, 6), randn(3, 4));
        check.check(v -> v[0].permute(2, 0, 1).contiguous(), randn(2, 3, 4));
        check.check(v -> v[0].flatten(0, 1), randn(2, 3, 4));
        check.check(v -> v[0].unsqueeze(1).expand(3, 5, 4), randn(3, 4));
        check.check(v -> v[0].unsqueeze(0).squeeze(0), randn(3, 4));
        check.check(v -> v[0].narrow(1, 1, 3), randn(4, 5));
        check.check(v -> v[0].select(0, 2), randn(4, 5));
        check.check(v -> Variable.cat(1, v[0], v[1].transpose(0, 1)), randn(3, 2), randn(4, 3));
        check.check(v -> Variable.stack(0, List.of(v[0], v[1])), randn(3, 2), randn(3, 2));
        check.check(v -> v[0].chunk(3, 0).get(1).mul(2f), randn(7, 2));
        check.check(v -> v[0].indexSelect(0, Tensor.fromIndices(new int[] {2, 0, 2})), randn(4, 3));
        check.check(v -> v[0].gather(1, Tensor.fromIndices(new int[] {1, 1, 0, 2}, 2, 2)), randn(2, 3));
    }

    @Test
    void checkerFindsTheSameErrorOnEachInputAndSamplesLargeInputs() {
        GradCheck small = GradCheck.defaults().maxElementsPerInput(10);
        small.check(v -> v[0].matmul(v[1]), randn(40, 30), randn(30, 20));
    }
}
