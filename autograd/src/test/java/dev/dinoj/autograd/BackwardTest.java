package dev.dinoj.autograd;

import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackwardTest {
    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilZeroed() {
        Variable x = Variable.leaf(Tensor.fromArray(new float[] {1, 2, 3}, 3));
        x.mul(x).sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(2, 4, 6);
        x.mul(3f).sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(5, 7, 9);
        x.zeroGrad();
        assertThat(x.grad()).isNull();
    }

    @Test
    void aVariableUsedTwiceGetsBothContributions() {
        Variable x = Variable.leaf(Tensor.fromArray(new float[] {2}, 1));
        Variable y = x.mul(x).add(x.exp()); // x^2 + e^x
        y.sum().backward();
        assertThat(x.grad().item()).isCloseTo(4 + (float) Math.exp(2), org.assertj.core.data.Offset.offset(1e-4f));
    }

    @Test
    void detachAndNoGradStopGradients() {
        Variable x = Variable.leaf(Tensor.fromArray(new float[] {1, 2}, 2));
        Variable teacher = x.mul(2f).detach();
        assertThat(teacher.requiresGrad()).isFalse();
        x.mul(teacher).sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(2, 4); // d(x * stop(2x))/dx = 2x
        Variable y;
        try (GradMode.Scope s = GradMode.disabled()) {
            y = x.mul(x);
            assertThat(GradMode.isEnabled()).isFalse();
        }
        assertThat(GradMode.isEnabled()).isTrue();
        assertThat(y.requiresGrad()).isFalse();
        assertThatThrownBy(() -> y.sum().backward()).isInstanceOf(IllegalStateException.class).hasMessageContaining("does not require");
    }

    @Test
    void graphIsFreedAfterBackwardUnlessRetained() {
        Variable x = Variable.leaf(Tensor.ones(3));
        Variable loss = x.square().sum();
        loss.backward(Tensor.full(Shape.scalar(), 1f, x.data().device()), true);
        loss.backward(); // allowed: retained
        assertThat(x.grad().toFloatArray()).containsExactly(4, 4, 4);
        assertThatThrownBy(loss::backward).isInstanceOf(IllegalStateException.class).hasMessageContaining("already freed");
    }

    @Test
    void explicitOutputGradientsAndShapeErrors() {
        Variable x = Variable.leaf(Tensor.ones(2, 3));
        Variable y = x.mul(2f);
        assertThatThrownBy(y::backward).hasMessageContaining("pass its gradient explicitly");
        assertThatThrownBy(() -> y.backward(Tensor.ones(3))).hasMessageContaining("does not match output shape [2, 3]");
        y.backward(Tensor.full(0.5f, 2, 3));
        assertThat(x.grad().toFloatArray()).containsOnly(1f);
    }

    @Test
    void frozenLeavesGetNoGradient() {
        // a frozen leaf used twice, once with a trainable one: it gets no gradient and does not stop x's
        Variable w = Variable.leaf(Tensor.fromArray(new float[] {2, 3, 4}, 3)).requiresGrad(false);
        Variable x = Variable.leaf(Tensor.fromArray(new float[] {1, -1, 5}, 3));
        assertThat(w.mul(w).requiresGrad()).as("an op on frozen leaves only records nothing").isFalse();
        x.mul(w).add(w.mul(w)).sum().backward();
        assertThat(w.grad()).isNull();
        assertThat(x.grad().toFloatArray()).containsExactly(2, 3, 4);
    }

    @Test
    void sumToReducesBroadcastDimensions() {
        Tensor g = Tensor.ones(2, 3, 4);
        assertThat(Variable.sumTo(g, Shape.of(4)).toFloatArray()).containsOnly(6f).hasSize(4);
        assertThat(Variable.sumTo(g, Shape.of(3, 1)).dims()).containsExactly(3, 1);
        assertThat(Variable.sumTo(g, Shape.of(3, 1)).toFloatArray()).containsOnly(8f);
    }

    @Test
    void deepChainsDoNotOverflowTheStack() {
        Variable x = Variable.leaf(Tensor.ones(1));
        Variable y = x;
        for (int i = 0; i < 20_000; i++) y = y.add(0f);
        y.sum().backward();
        assertThat(x.grad().item()).isEqualTo(1f);
    }
}
