package dev.dinoj.dino;

import dev.dinoj.autograd.DoubleArray;
import dev.dinoj.autograd.DoubleGradCheck;
import dev.dinoj.autograd.GradCheck;
import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.Schedule;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class DinoLossTest {
    private static double[] softmax(double[] x, double t) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : x) max = Math.max(max, v / t);
        double[] e = new double[x.length];
        for (int i = 0; i < x.length; i++) sum += e[i] = Math.exp(x[i] / t - max);
        for (int i = 0; i < x.length; i++) e[i] /= sum;
        return e;
    }

    /** The reference's double loop over (teacher view, student view) pairs, in double precision. */
    private static double referenceLoss(double[][] student, double[][] teacher, double[] center, int b, int crops, double ts, double tt) {
        double total = 0;
        int terms = 0;
        for (int iq = 0; iq < 2; iq++) {
            for (int v = 0; v < crops; v++) {
                if (v == iq) continue;
                double mean = 0;
                for (int i = 0; i < b; i++) {
                    double[] t = teacher[iq * b + i].clone();
                    for (int k = 0; k < t.length; k++) t[k] -= center[k];
                    double[] q = softmax(t, tt), p = softmax(student[v * b + i], ts);
                    double ce = 0;
                    for (int k = 0; k < q.length; k++) ce -= q[k] * Math.log(p[k]);
                    mean += ce / b;
                }
                total += mean;
                terms++;
            }
        }
        return total / terms;
    }

    @Test
    void handComputedTwoCropExample() {
        // 2 crops, batch 1, 2 outputs, zero center: loss = 1/2 [CE(q1, p0) + CE(q0, p1)]
        Tensor s = Tensor.fromArray(new float[] {0.1f, 0f, 0f, 0.2f}, 2, 2); // student temp 0.1 -> logits/0.1 = [1,0], [0,2]
        Tensor t = Tensor.fromArray(new float[] {0.04f, 0f, 0f, 0f}, 2, 2);  // teacher temp 0.04 -> [1,0], [0,0]
        DinoLoss loss = new DinoLoss(2, 2, 0.1f, Schedule.constant(0.04, 1), 0.9f);
        double q0a = Math.exp(1) / (Math.exp(1) + 1), q0b = 1 - q0a; // softmax([1, 0])
        double logp0a = 1 - Math.log(Math.exp(1) + 1), logp0b = -Math.log(Math.exp(1) + 1);
        double logp1a = -Math.log(1 + Math.exp(2)), logp1b = 2 - Math.log(1 + Math.exp(2));
        double ce10 = -(0.5 * logp0a + 0.5 * logp0b);       // teacher view 1 (uniform) vs student view 0
        double ce01 = -(q0a * logp1a + q0b * logp1b);       // teacher view 0 vs student view 1
        double expected = (ce10 + ce01) / 2;
        assertThat((double) loss.forward(Variable.constant(s), t, 0).item()).isCloseTo(expected, offset(1e-5));
    }

    @Test
    void matchesTheReferenceDoubleLoopWithLocalCropsAndCenter() {
        Generator g = new Generator(3);
        int b = 3, crops = 5, k = 7;
        Tensor s = Tensor.randn(g, crops * b, k), t = Tensor.randn(g, 2 * b, k), c = Tensor.randn(g, 1, k).mul(0.3f);
        DinoLoss loss = new DinoLoss(k, crops, 0.1f, Schedule.warmupCosine(0.07, 0.07, 3, 1, 2, 0.04), 0.9f);
        loss.setCenter(c);
        double[][] sv = rows(s), tv = rows(t);
        double[] cv = rows(c)[0];
        for (int epoch = 0; epoch < 3; epoch++) {
            double expected = referenceLoss(sv, tv, cv, b, crops, 0.1, loss.teacherTemperature(epoch));
            assertThat((double) loss.forward(Variable.constant(s), t, epoch).item()).isCloseTo(expected, offset(1e-5 * Math.abs(expected)));
        }
        assertThat(loss.teacherTemperature(0)).isEqualTo(0.04f);
        assertThat(loss.teacherTemperature(2)).isEqualTo(0.07f);
    }

    @Test
    void gradientWithRespectToStudentLogitsPassesAGradientCheck() {
        Generator g = new Generator(4);
        Tensor t = Tensor.randn(g, 4, 6);
        DinoLoss loss = new DinoLoss(6, 4, 0.1f, Schedule.constant(0.04, 1), 0.9f);
        GradCheck.defaults().eps(1e-3).check(v -> loss.forward(v[0], t, 0), Tensor.randn(g, 8, 6).mul(0.1f));
    }

    @Test
    void theFusedGradientIsTheReferenceFormulasInDoublePrecision() {
        // the loss's gradient is computed by the device's DINO loss kernels, not by autograd: checked at 1e-5
        Generator g = new Generator(6);
        int b = 3, crops = 4, k = 9;
        Tensor t = Tensor.randn(g, 2 * b, k), c = Tensor.randn(g, 1, k).mul(0.3f);
        DinoLoss loss = new DinoLoss(k, crops, 0.1f, Schedule.constant(0.04, 1), 0.9f);
        loss.setCenter(c);
        double[][] tv = rows(t);
        double[] cv = rows(c)[0];
        DoubleGradCheck.defaults().check(v -> loss.forward(v[0], t, 0),
                x -> DoubleArray.scalar(referenceLoss(rows(x[0]), tv, cv, b, crops, 0.1f, loss.teacherTemperature(0))).reshape(),
                Tensor.randn(g, crops * b, k).mul(0.1f));
    }

    @Test
    void centerIsAnEmaOfTheTeacherBatchMean() {
        DinoLoss loss = new DinoLoss(3, 2, 0.1f, Schedule.constant(0.04, 1), 0.9f);
        loss.setCenter(Tensor.fromArray(new float[] {1, 2, 3}, 1, 3));
        loss.updateCenter(Tensor.fromArray(new float[] {2, 2, 0, 4, 2, 2}, 2, 3)); // batch mean [3, 2, 1]
        assertThat(loss.center().toFloatArray()).containsExactly(new float[] {0.9f * 1 + 0.3f, 0.9f * 2 + 0.2f, 0.9f * 3 + 0.1f}, offset(1e-6f));
        loss.updateCenter(Tensor.fromArray(new float[] {10, 10, 10, 10, 10, 10}, 2, 3));
        assertThat(loss.center().toFloatArray()).containsExactly(new float[] {0.9f * 1.2f + 1, 0.9f * 2f + 1, 0.9f * 2.8f + 1}, offset(1e-5f));
    }

    @Test
    void badShapesAreNamed() {
        DinoLoss loss = new DinoLoss(4, 3, 0.1f, Schedule.constant(0.04, 1), 0.9f);
        assertThatThrownBy(() -> loss.forward(Variable.constant(Tensor.zeros(7, 4)), Tensor.zeros(2, 4), 0))
                .hasMessageContaining("[3 * B, 4]");
        assertThatThrownBy(() -> loss.forward(Variable.constant(Tensor.zeros(6, 4)), Tensor.zeros(3, 4), 0))
                .hasMessageContaining("[2 * 2, 4]");
    }

    private static double[][] rows(DoubleArray a) {
        double[] f = a.values();
        int r = a.size(0), c = a.size(1);
        double[][] out = new double[r][c];
        for (int i = 0; i < r; i++) System.arraycopy(f, i * c, out[i], 0, c);
        return out;
    }

    private static double[][] rows(Tensor t) {
        float[] f = t.toFloatArray();
        int r = t.size(0), c = t.size(1);
        double[][] out = new double[r][c];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) out[i][j] = f[i * c + j];
        return out;
    }

    /** DINOv2's sinkhorn_knopp_teacher in [K, B] orientation, in double precision. */
    private static double[][] referenceSinkhorn(double[][] logits, double t, int iterations) {
        int b = logits.length, k = logits[0].length;
        double[][] q = new double[k][b];
        double total = 0;
        for (int i = 0; i < b; i++) for (int j = 0; j < k; j++) total += q[j][i] = Math.exp(logits[i][j] / t);
        for (double[] row : q) for (int i = 0; i < b; i++) row[i] /= total;
        for (int it = 0; it < iterations; it++) {
            for (double[] row : q) {
                double s = 0;
                for (double v : row) s += v;
                for (int i = 0; i < b; i++) row[i] /= s * k;
            }
            for (int i = 0; i < b; i++) {
                double s = 0;
                for (int j = 0; j < k; j++) s += q[j][i];
                for (int j = 0; j < k; j++) q[j][i] /= s * b;
            }
        }
        double[][] out = new double[b][k];
        for (int i = 0; i < b; i++) for (int j = 0; j < k; j++) out[i][j] = q[j][i] * b;
        return out;
    }

    @Test
    void sinkhornKnoppMatchesTheReferenceAndBalancesPrototypes() {
        int b = 33, k = 97;
        Tensor logits = Tensor.randn(new Generator(21), b, k).mul(0.3f);
        float[] l = logits.toFloatArray();
        double[][] ld = new double[b][k];
        for (int i = 0; i < b; i++) for (int j = 0; j < k; j++) ld[i][j] = l[i * k + j];
        double[][] want = referenceSinkhorn(ld, 0.04, 3);
        float[] got = DinoLoss.sinkhornKnopp(logits, 0.04f, 3).toFloatArray();
        double err = 0, norm = 0;
        for (int i = 0; i < b; i++) {
            double rowSum = 0;
            for (int j = 0; j < k; j++) {
                err += Math.pow(got[i * k + j] - want[i][j], 2);
                norm += want[i][j] * want[i][j];
                rowSum += got[i * k + j];
            }
            assertThat(rowSum).as("row %d is a distribution", i).isCloseTo(1.0, offset(1e-4));
        }
        assertThat(Math.sqrt(err / norm)).isLessThan(1e-5);
        // a prototype that every image prefers dominates a plain softmax, not the Sinkhorn-Knopp targets
        float[] biased = Tensor.randn(new Generator(4), b, k).mul(0.1f).toFloatArray();
        for (int i = 0; i < b; i++) biased[i * k] += 2f;
        Tensor biasedLogits = Tensor.fromArray(biased, b, k);
        TeacherHealth softmax = TeacherHealth.of(biasedLogits.softmax(0.04f).toFloatArray(), k, 0, new float[k]);
        TeacherHealth sk = TeacherHealth.of(DinoLoss.sinkhornKnopp(biasedLogits, 0.04f, 3).toFloatArray(), k, 0, new float[k]);
        assertThat(softmax.collapseWarning()).contains("dominate");
        assertThat(sk.marginalEntropy()).isGreaterThan(0.9 * Math.log(k));
        // far-apart rows at a low temperature: the log domain keeps every row a distribution (exp would give 0/0)
        float[] apart = new float[4 * k];
        for (int i = 0; i < 4; i++) for (int j = 0; j < k; j++) apart[i * k + j] = (i == 3 ? -1f : 1f) * (float) Math.sin(i + j);
        float[] q2 = DinoLoss.sinkhornKnopp(Tensor.fromArray(apart, 4, k), 0.005f, 3).toFloatArray();
        for (int i = 0; i < 4; i++) {
            double rowSum = 0;
            for (int j = 0; j < k; j++) {
                assertThat(Float.isFinite(q2[i * k + j])).isTrue();
                rowSum += q2[i * k + j];
            }
            assertThat(rowSum).isCloseTo(1.0, offset(1e-3));
        }
    }

    @Test
    void sinkhornCenteringIsChosenByName() {
        assertThat(DinoLoss.Centering.parse("sinkhorn")).isEqualTo(DinoLoss.Centering.SINKHORN_KNOPP);
        assertThat(DinoLoss.Centering.parse("ema")).isEqualTo(DinoLoss.Centering.EMA);
        assertThatThrownBy(() -> DinoLoss.Centering.parse("mean")).hasMessageContaining("--centering");
    }
}
