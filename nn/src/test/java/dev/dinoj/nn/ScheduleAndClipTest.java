package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class ScheduleAndClipTest {
    @Test
    void warmupIsALinspaceAndTheCosineEndsNearTheFinalValue() {
        Schedule s = Schedule.warmupCosine(1.0, 0.1, 4, 5, 1, 0.0);
        assertThat(s.length()).isEqualTo(20);
        for (int i = 0; i < 5; i++) assertThat(s.at(i)).isCloseTo(i / 4.0, offset(1e-12)); // linspace(0, 1, 5)
        assertThat(s.at(5)).isCloseTo(1.0, offset(1e-12));
        for (int i = 0; i < 15; i++) {
            assertThat(s.at(5 + i)).isCloseTo(0.1 + 0.45 * (1 + Math.cos(Math.PI * i / 15)), offset(1e-12));
        }
        assertThat(s.at(19)).isGreaterThan(0.1).isLessThan(0.11);
        assertThatThrownBy(() -> s.at(20)).hasMessageContaining("outside [0, 20)");
        // DINO's teacher momentum: 0.996 -> 1 with no warm-up
        Schedule m = Schedule.warmupCosine(0.996, 1.0, 10, 3, 0, 0);
        assertThat(m.at(0)).isEqualTo(0.996);
        // per-epoch teacher temperature: linspace(0.04, 0.07, 3) then constant
        Schedule t = Schedule.warmupCosine(0.07, 0.07, 5, 1, 3, 0.04);
        assertThat(new double[] {t.at(0), t.at(1), t.at(2), t.at(3), t.at(4)})
                .containsExactly(new double[] {0.04, 0.055, 0.07, 0.07, 0.07}, offset(1e-12));
    }

    @Test
    void perParameterClippingScalesOnlyLargeGradients() {
        Variable a = Variable.leaf(Tensor.zeros(2)), b = Variable.leaf(Tensor.zeros(2)), c = Variable.leaf(Tensor.zeros(1));
        a.setGrad(Tensor.fromArray(new float[] {3f, 4f}, 2));   // norm 5
        b.setGrad(Tensor.fromArray(new float[] {0.3f, 0.4f}, 2)); // norm 0.5
        double[] norms = GradClip.perParameter(List.of(a, b, c), 1.0);
        assertThat(norms).containsExactly(new double[] {5, 0.5, 0}, offset(1e-6));
        assertThat(a.grad().norm().item()).isCloseTo(1f, offset(1e-5f));
        assertThat(b.grad().toFloatArray()).containsExactly(0.3f, 0.4f);
    }

    @Test
    void globalNormClippingScalesAllTogether() {
        Variable a = Variable.leaf(Tensor.zeros(2)), b = Variable.leaf(Tensor.zeros(1));
        a.setGrad(Tensor.fromArray(new float[] {3f, 0f}, 2));
        b.setGrad(Tensor.fromArray(new float[] {4f}, 1));
        assertThat(GradClip.globalNorm(List.of(a, b), 2.5)).isCloseTo(5.0, offset(1e-6));
        assertThat(a.grad().toFloatArray()[0]).isCloseTo(1.5f, offset(1e-5f));
        assertThat(b.grad().item()).isCloseTo(2f, offset(1e-5f));
        assertThatThrownBy(() -> GradClip.globalNorm(List.of(a), 0)).hasMessageContaining("positive");
    }
}
