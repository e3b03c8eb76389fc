package dev.dinoj.autograd;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Backward closes the gradients and rule temporaries it no longer needs, and nothing else. */
class BackwardMemoryTest {
    private static Variable mlp(Variable x, Variable w1, Variable b1, Variable w2) {
        return x.matmul(w1).add(b1).gelu().matmul(w2).mul(x.sum(1, true)).sum();
    }

    @Test
    void intermediateGradientsAreClosedAndResultsAreUnchanged() {
        Generator gen = new Generator(3);
        Tensor xs = Tensor.randn(gen, 8, 5), w1s = Tensor.randn(gen, 5, 16), b1s = Tensor.randn(gen, 16), w2s = Tensor.randn(gen, 16, 3);

        // reference: no scope anywhere
        Variable[] ref = {Variable.leaf(xs), Variable.leaf(w1s), Variable.leaf(b1s), Variable.leaf(w2s)};
        mlp(ref[0], ref[1], ref[2], ref[3]).backward();

        try (TensorScope step = TensorScope.open()) {
            Variable[] p = {Variable.leaf(xs), Variable.leaf(w1s), Variable.leaf(b1s), Variable.leaf(w2s)};
            Variable loss = mlp(p[0], p[1], p[2], p[3]);
            int forward = step.openTensors();
            loss.backward();
            // left open: the forward tensors, one gradient per leaf and the implicit d(loss)/d(loss) = 1
            assertThat(step.openTensors()).isLessThanOrEqualTo(forward + p.length + 1);
            for (int i = 0; i < p.length; i++) {
                assertThat(p[i].grad().isClosed()).isFalse();
                assertThat(p[i].grad().toFloatArray()).as("gradient %d", i).containsExactly(ref[i].grad().toFloatArray());
            }
            assertThat(loss.data().isClosed()).isFalse();
        }
    }

    @Test
    void sharedAndPassedThroughGradientsSurvive() {
        Variable a = Variable.leaf(Tensor.fromArray(new float[] {1, 2, 3}, 3));
        Variable b = Variable.leaf(Tensor.fromArray(new float[] {4, 5, 6}, 3));
        Tensor g = Tensor.fromArray(new float[] {1, 10, 100}, 3);
        try (TensorScope step = TensorScope.open()) {
            // add hands the same gradient object to both inputs, and a to itself twice via a + a
            Variable y = a.add(b).add(a.add(a));
            y.backward(g);
            assertThat(a.grad().toFloatArray()).containsExactly(3, 30, 300);
            assertThat(b.grad().toFloatArray()).containsExactly(1, 10, 100);
        }
        assertThat(g.isClosed()).as("the caller's gradOutput").isFalse();
        assertThat(g.toFloatArray()).containsExactly(1, 10, 100);
    }

    @Test
    void aLeafGradientThatIsTheCallersTensorIsLeftAlone() {
        Variable x = Variable.leaf(Tensor.fromArray(new float[] {1, 2}, 2));
        Tensor g = Tensor.fromArray(new float[] {7, 8}, 2);
        try (TensorScope step = TensorScope.open()) {
            x.add(1f).backward(g);
        }
        assertThat(x.grad().toFloatArray()).containsExactly(7, 8);
        assertThat(g.toFloatArray()).containsExactly(7, 8);
    }
}
