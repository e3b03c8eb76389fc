package dev.dinoj.dino.lineage;

import dev.dinoj.autograd.DoubleArray;
import dev.dinoj.autograd.DoubleGradCheck;
import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/**
 * Each lineage loss against a direct double-precision implementation of its paper's formula, value and
 * gradient (only the inputs that receive gradients are differentiated; the others enter as constants).
 */
class LineageLossesTest {
    private final Generator gen = new Generator(16);

    private static double[] unit(double[] z, int n, int d) {
        double[] u = new double[n * d];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += z[i * d + k] * z[i * d + k];
            s = Math.sqrt(s);
            for (int k = 0; k < d; k++) u[i * d + k] = z[i * d + k] / s;
        }
        return u;
    }

    private static double dot(double[] a, int i, double[] b, int j, int d) {
        double s = 0;
        for (int k = 0; k < d; k++) s += a[i * d + k] * b[j * d + k];
        return s;
    }

    private static double[] doubles(Tensor t) {
        return DoubleArray.of(t).values();
    }

    @Test
    void ntXentIsSimclrsFormula() {
        int n = 4, d = 5;
        float t = 0.5f;
        DoubleGradCheck.defaults().check(v -> NtXentLoss.of(v[0], v[1], t), x -> {
            double[] z = new double[2 * n * d];
            System.arraycopy(unit(x[0].values(), n, d), 0, z, 0, n * d);
            System.arraycopy(unit(x[1].values(), n, d), 0, z, n * d, n * d);
            double loss = 0;
            for (int i = 0; i < 2 * n; i++) {
                double denominator = 0;
                for (int k = 0; k < 2 * n; k++) if (k != i) denominator += Math.exp(dot(z, i, z, k, d) / t);
                loss -= Math.log(Math.exp(dot(z, i, z, (i + n) % (2 * n), d) / t) / denominator);
            }
            return DoubleArray.scalar(loss / (2 * n));
        }, Tensor.randn(gen, n, d), Tensor.randn(gen, n, d));
        assertThatThrownBy(() -> NtXentLoss.of(Variable.constant(Tensor.zeros(1, 3)), Variable.constant(Tensor.zeros(1, 3)), 0.5f))
                .hasMessageContaining("at least 2 images");
        assertThatThrownBy(() -> NtXentLoss.of(Variable.constant(Tensor.zeros(2, 3)), Variable.constant(Tensor.zeros(2, 4)), 0.5f))
                .hasMessageContaining("[N, D]");
    }

    @Test
    void mocoIsInfoNceWithAQueueAndInBatch() {
        int n = 3, d = 4, queueSize = 6;
        float t = 0.2f;
        Tensor k = Tensor.randn(gen, n, d), queue = Tensor.randn(gen, queueSize, d);
        Tensor queueUnit = queue.div(queue.norm(new int[] {1}, true));
        double[] kn = unit(doubles(k), n, d), qu = doubles(queueUnit);
        DoubleGradCheck.defaults().check(v -> MocoLoss.withQueue(v[0], k, queueUnit, t), x -> {
            double[] q = unit(x[0].values(), n, d);
            double loss = 0;
            for (int i = 0; i < n; i++) {
                double positive = Math.exp(dot(q, i, kn, i, d) / t), all = positive;
                for (int j = 0; j < queueSize; j++) all += Math.exp(dot(q, i, qu, j, d) / t);
                loss -= Math.log(positive / all);
            }
            return DoubleArray.scalar(loss / n);
        }, Tensor.randn(gen, n, d));
        DoubleGradCheck.defaults().check(v -> MocoLoss.inBatch(v[0], k, t), x -> {
            double[] q = unit(x[0].values(), n, d);
            double loss = 0;
            for (int i = 0; i < n; i++) {
                double all = 0;
                for (int j = 0; j < n; j++) all += Math.exp(dot(q, i, kn, j, d) / t);
                loss -= Math.log(Math.exp(dot(q, i, kn, i, d) / t) / all);
            }
            return DoubleArray.scalar(2 * t * loss / n);
        }, Tensor.randn(gen, n, d));
        assertThatThrownBy(() -> MocoLoss.withQueue(Variable.constant(Tensor.zeros(2, 3)), Tensor.zeros(2, 3), Tensor.zeros(5, 4), t))
                .hasMessageContaining("[K, 3]");
    }

    @Test
    void byolAndSimSiamAreTheirNegativeCosines() {
        int n = 3, d = 4;
        Tensor z1 = Tensor.randn(gen, n, d), z2 = Tensor.randn(gen, n, d);
        double[] z1n = unit(doubles(z1), n, d), z2n = unit(doubles(z2), n, d);
        DoubleGradCheck.defaults().check(v -> ByolLoss.symmetric(v[0], v[1], z1, z2), x -> {
            double[] p1 = unit(x[0].values(), n, d), p2 = unit(x[1].values(), n, d);
            double loss = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < d; k++) {
                    loss += Math.pow(p1[i * d + k] - z2n[i * d + k], 2) / n + Math.pow(p2[i * d + k] - z1n[i * d + k], 2) / n;
                }
            }
            return DoubleArray.scalar(loss);
        }, Tensor.randn(gen, n, d), Tensor.randn(gen, n, d));
        DoubleGradCheck.defaults().check(v -> SimSiamLoss.of(v[0], v[1], Variable.constant(z1), Variable.constant(z2)), x -> {
            double[] p1 = unit(x[0].values(), n, d), p2 = unit(x[1].values(), n, d);
            double loss = 0;
            for (int i = 0; i < n; i++) loss -= (dot(p1, i, z2n, i, d) + dot(p2, i, z1n, i, d)) / (2.0 * n);
            return DoubleArray.scalar(loss);
        }, Tensor.randn(gen, n, d), Tensor.randn(gen, n, d));
        // SimSiam's stop-gradient: the projections get none
        Variable z = Variable.leaf(z1.copy());
        SimSiamLoss.of(Variable.leaf(Tensor.randn(gen, n, d)), Variable.leaf(Tensor.randn(gen, n, d)), z, Variable.constant(z2)).backward();
        assertThat(z.grad()).isNull();
    }

    @Test
    void barlowTwinsDrivesTheCrossCorrelationToTheIdentity() {
        int n = 5, d = 3;
        float lambda = 0.3f;
        DoubleGradCheck.defaults().check(v -> BarlowTwinsLoss.of(v[0], v[1], lambda), x -> {
            double[][] s = {standardised(x[0].values(), n, d), standardised(x[1].values(), n, d)};
            double loss = 0;
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    double c = 0;
                    for (int b = 0; b < n; b++) c += s[0][b * d + i] * s[1][b * d + j] / n;
                    loss += i == j ? (1 - c) * (1 - c) : lambda * c * c;
                }
            }
            return DoubleArray.scalar(loss);
        }, Tensor.randn(gen, n, d), Tensor.randn(gen, n, d));
        // two identical, decorrelated views: C is the identity up to eps, the loss ~0
        Tensor same = Tensor.fromArray(new float[] {1, 1, -1, 1, 1, -1, -1, -1}, 4, 2);
        assertThat((double) BarlowTwinsLoss.of(Variable.constant(same), Variable.constant(same), 1f).item()).isCloseTo(0, offset(1e-4));
    }

    private static double[] standardised(double[] z, int n, int d) {
        double[] s = new double[n * d];
        for (int k = 0; k < d; k++) {
            double mean = 0, var = 0;
            for (int b = 0; b < n; b++) mean += z[b * d + k] / n;
            for (int b = 0; b < n; b++) var += Math.pow(z[b * d + k] - mean, 2) / n;
            for (int b = 0; b < n; b++) s[b * d + k] = (z[b * d + k] - mean) / Math.sqrt(var + 1e-5);
        }
        return s;
    }

    @Test
    void instDiscPicksEachImagesOwnBankEntry() {
        int b = 3, n = 7, d = 4;
        float t = 0.07f;
        Tensor bank = Tensor.randn(gen, n, d);
        double[] m = doubles(bank);
        int[] idx = {5, 0, 5};
        DoubleGradCheck.defaults().check(v -> InstDiscLoss.of(v[0].normalize(-1, 1e-12f), bank, idx, t), x -> {
            double[] f = unit(x[0].values(), b, d);
            double loss = 0;
            for (int i = 0; i < b; i++) {
                double all = 0;
                for (int j = 0; j < n; j++) all += Math.exp(dot(f, i, m, j, d) / t);
                loss -= Math.log(Math.exp(dot(f, i, m, idx[i], d) / t) / all);
            }
            return DoubleArray.scalar(loss / b);
        }, Tensor.randn(gen, b, d));
        assertThatThrownBy(() -> InstDiscLoss.of(Variable.constant(Tensor.zeros(1, 4)), bank, new int[] {7}, t)).hasMessageContaining("outside the bank of 7");
    }

    @Test
    void swavPredictsTheOtherCropsSinkhornCodes() {
        int crops = 3, b = 4, k = 5;
        float t = 0.1f, eps = 0.05f;
        Tensor scores = Tensor.rand(gen, crops * b, k).mul(2f).sub(1f); // cosine similarities
        double[] s = doubles(scores);
        // the codes, by the reference's multiplicative Sinkhorn-Knopp in double (Q = exp(s / eps)^T, normalised 3 times)
        double[][] codes = new double[2][];
        for (int c = 0; c < 2; c++) codes[c] = sinkhornCodes(java.util.Arrays.copyOfRange(s, c * b * k, (c + 1) * b * k), b, k, eps, 0, b);
        DoubleGradCheck.defaults().check(v -> SwavLoss.of(v[0], crops, t, eps), x -> DoubleArray.scalar(swavPrediction(x[0].values(), codes, crops, b, k, t)),
                scores);
        assertThatThrownBy(() -> SwavLoss.of(Variable.constant(Tensor.zeros(7, 3)), 3, t, eps)).hasMessageContaining("[3 * B, K]");
        swavWithAQueueTakesTheBatchRowsOfTheCodesOverQueueAndBatch(scores, crops, b, k, t, eps);
    }

    /** With a queue of L past scores per global crop, crop c's codes are the last b rows of Sinkhorn-Knopp over [queue_c; batch_c]. */
    private void swavWithAQueueTakesTheBatchRowsOfTheCodesOverQueueAndBatch(Tensor scores, int crops, int b, int k, float t, float eps) {
        int l = 6;
        List<Tensor> queue = List.of(Tensor.rand(gen, l, k).mul(2f).sub(1f), Tensor.rand(gen, l, k).mul(2f).sub(1f));
        double[] s = doubles(scores);
        double[][] codes = new double[2][];
        for (int c = 0; c < 2; c++) {
            double[] rows = new double[(l + b) * k];
            System.arraycopy(doubles(queue.get(c)), 0, rows, 0, l * k);
            System.arraycopy(s, c * b * k, rows, l * k, b * k);
            codes[c] = sinkhornCodes(rows, l + b, k, eps, l, b);
        }
        DoubleGradCheck.defaults().check(v -> SwavLoss.of(v[0], crops, t, eps, queue), x -> DoubleArray.scalar(swavPrediction(x[0].values(), codes, crops, b, k,
                t)), scores);
        double plain = SwavLoss.of(Variable.constant(scores), crops, t, eps).item(), withQueue = SwavLoss.of(Variable.constant(scores), crops, t, eps, queue).item();
        assertThat(Math.abs(withQueue - plain)).isGreaterThan(1e-3);
        assertThatThrownBy(() -> SwavLoss.of(Variable.constant(scores), crops, t, eps, List.of(queue.get(0)))).hasMessageContaining("one per global crop");
    }

    /** SwAV's swapped prediction in double: each global crop c's codes predicted by every other crop's softmax(s / t), averaged. */
    private static double swavPrediction(double[] s, double[][] codes, int crops, int b, int k, float t) {
        double loss = 0;
        for (int c = 0; c < 2; c++) {
            double sub = 0;
            for (int v = 0; v < crops; v++) {
                if (v == c) continue;
                for (int i = 0; i < b; i++) {
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int p = 0; p < k; p++) max = Math.max(max, s[(v * b + i) * k + p] / t);
                    for (int p = 0; p < k; p++) sum += Math.exp(s[(v * b + i) * k + p] / t - max);
                    for (int p = 0; p < k; p++) sub -= codes[c][i * k + p] * (s[(v * b + i) * k + p] / t - max - Math.log(sum)) / b;
                }
            }
            loss += sub / (crops - 1);
        }
        return loss / 2;
    }

    /** The reference's Sinkhorn-Knopp in double over n rows of scores [n, k]: the codes [b, k] of rows from .. from + b (each sums to 1). */
    private static double[] sinkhornCodes(double[] s, int n, int k, float eps, int from, int b) {
        double[][] q = new double[k][n];
        double total = 0;
        for (int p = 0; p < k; p++) for (int i = 0; i < n; i++) total += q[p][i] = Math.exp(s[i * k + p] / eps);
        for (int p = 0; p < k; p++) for (int i = 0; i < n; i++) q[p][i] /= total;
        for (int it = 0; it < 3; it++) {
            for (int p = 0; p < k; p++) {
                double row = 0;
                for (int i = 0; i < n; i++) row += q[p][i];
                for (int i = 0; i < n; i++) q[p][i] /= row * k;
            }
            for (int i = 0; i < n; i++) {
                double col = 0;
                for (int p = 0; p < k; p++) col += q[p][i];
                for (int p = 0; p < k; p++) q[p][i] /= col * n;
            }
        }
        double[] codes = new double[b * k];
        for (int p = 0; p < k; p++) for (int i = 0; i < b; i++) codes[i * k + p] = q[p][from + i] * n;
        return codes;
    }
}
