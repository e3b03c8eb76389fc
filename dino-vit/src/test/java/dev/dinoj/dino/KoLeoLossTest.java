package dev.dinoj.dino;

import dev.dinoj.autograd.DoubleArray;
import dev.dinoj.autograd.DoubleGradCheck;
import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KoLeoLossTest {
    @Test
    void isMinusTheMeanLogDistanceToTheNearestOtherFeature() {
        // unit vectors at 0, 90 and 100 degrees (scaled: features are normalised first)
        double r = Math.toRadians(100);
        Tensor x = Tensor.fromArray(new float[] {2, 0, 0, 3, (float) (5 * Math.cos(r)), (float) (5 * Math.sin(r))}, 3, 2);
        double near = 2 * Math.sin(Math.toRadians(5)); // chord between the 90 and 100 degree points
        double first = 2 * Math.sin(Math.toRadians(45)); // the 0 degree point's nearest is the 90 degree one
        double expected = -(Math.log(first) + 2 * Math.log(near)) / 3;
        assertThat((double) KoLeoLoss.of(Variable.constant(x)).item()).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-5));
    }

    @Test
    void aCollapsedBatchCostsMoreThanASpreadOne() {
        Generator g = new Generator(4);
        Tensor spread = Tensor.randn(g, 16, 8);
        Tensor collapsed = Tensor.randn(g, 16, 8).mul(0.05f).add(Tensor.ones(8));
        assertThat(KoLeoLoss.of(Variable.constant(collapsed)).item()).isGreaterThan(KoLeoLoss.of(Variable.constant(spread)).item() + 1f);
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        Generator g = new Generator(9);
        Tensor x = Tensor.randn(g, 7, 5);
        dev.dinoj.nn.Module none = new dev.dinoj.nn.Module() {};
        new dev.dinoj.nn.ModuleGradCheck(1e-3, 1e-2, 35).check(none, KoLeoLoss::of, x);
        assertThatThrownBy(() -> KoLeoLoss.of(Variable.constant(Tensor.randn(g, 1, 5)))).hasMessageContaining("[B >= 2, D]");
    }

    @Test
    void gradientIsTheFormulasInDoublePrecision() {
        Generator g = new Generator(12);
        DoubleGradCheck.defaults().check(v -> KoLeoLoss.of(v[0]), x -> DoubleArray.scalar(referenceKoLeo(x[0])).reshape(), Tensor.randn(g, 9, 6));
    }

    /** -1/B sum_i log(||u_i - u_nn(i) + eps|| + eps), u = x / ||x|| per row, nn(i) the nearest other row, in double. */
    private static double referenceKoLeo(DoubleArray x) {
        int b = x.size(0), d = x.size(1);
        double[][] u = new double[b][d];
        for (int i = 0; i < b; i++) {
            double n = 0;
            for (int j = 0; j < d; j++) n += x.get(i, j) * x.get(i, j);
            for (int j = 0; j < d; j++) u[i][j] = x.get(i, j) / Math.max(Math.sqrt(n), 1e-8f);
        }
        double total = 0;
        for (int i = 0; i < b; i++) {
            int nearest = -1;
            double best = Double.POSITIVE_INFINITY;
            for (int m = 0; m < b; m++) {
                if (m == i) continue;
                double dist = 0;
                for (int j = 0; j < d; j++) dist += (u[i][j] - u[m][j]) * (u[i][j] - u[m][j]);
                if (dist < best) {
                    best = dist;
                    nearest = m;
                }
            }
            double dist = 0;
            for (int j = 0; j < d; j++) dist += Math.pow(u[i][j] - u[nearest][j] + 1e-8f, 2);
            total += Math.log(Math.sqrt(dist) + 1e-8f);
        }
        return -total / b;
    }
}
