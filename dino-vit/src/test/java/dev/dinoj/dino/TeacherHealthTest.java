package dev.dinoj.dino;

import dev.dinoj.nn.Schedule;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TeacherHealthTest {
    private static final int K = 64, B = 16;

    private static DinoLoss loss() {
        return new DinoLoss(K, 4, 0.1f, Schedule.constant(0.04, 100), 0.9f);
    }

    @Test
    void aConstantTeacherCentredOnItselfIsFlaggedAsUniform() {
        DinoLoss l = loss();
        float[] row = new float[K];
        for (int j = 0; j < K; j++) row[j] = (float) Math.sin(j);
        float[] rows = new float[2 * B * K];
        for (int r = 0; r < 2 * B; r++) System.arraycopy(row, 0, rows, r * K, K);
        Tensor teacher = Tensor.fromArray(rows, 2 * B, K);
        l.setCenter(Tensor.fromArray(row, 1, K)); // the centre has caught up with a teacher that no longer depends on the image
        TeacherHealth h = l.health(teacher, 0, Math.log(K));
        assertThat(h.teacherEntropy()).isCloseTo(Math.log(K), within(1e-4));
        assertThat(h.klStudentTeacher()).isCloseTo(0, within(1e-4));
        assertThat(h.collapseWarning()).contains("uniform").contains("--teacher-temp");
    }

    @Test
    void aConstantPeakedTeacherIsFlaggedAsDominated() {
        DinoLoss l = loss();
        float[] rows = new float[2 * B * K];
        for (int r = 0; r < 2 * B; r++) rows[r * K + 5] = 1f; // every image, the same dimension
        TeacherHealth h = l.health(Tensor.fromArray(rows, 2 * B, K), 0, 3.0);
        assertThat(h.marginalEntropy()).isLessThan(0.01);
        assertThat(h.collapseWarning()).contains("dominate").contains("--center-momentum");
    }

    @Test
    void diverseConfidentTargetsAreHealthy() {
        DinoLoss l = loss();
        float[] rows = new float[2 * B * K];
        for (int r = 0; r < 2 * B; r++) rows[r * K + (r * 7) % K] = 1f; // one-hot, a different dimension per image
        TeacherHealth h = l.health(Tensor.fromArray(rows, 2 * B, K), 0, 2.0);
        assertThat(h.teacherEntropy()).isLessThan(0.1 * Math.log(K));
        assertThat(h.marginalEntropy()).isGreaterThan(0.7 * Math.log(K));
        assertThat(h.collapseWarning()).isNull();
        assertThat(h.centerNorm()).isEqualTo(0.0);
    }

    @Test
    void healthMatchesAnIndependentComputationOnRandomLogits() {
        DinoLoss l = loss();
        Tensor teacher = Tensor.randn(new Generator(5), 2 * B, K);
        Tensor center = Tensor.randn(new Generator(6), 1, K).mul(0.1f);
        l.setCenter(center);
        TeacherHealth h = l.health(teacher, 0, 4.0);
        float[] t = teacher.toFloatArray(), c = center.toFloatArray();
        double hSum = 0, cn = 0;
        double[] marg = new double[K];
        for (int r = 0; r < 2 * B; r++) {
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int j = 0; j < K; j++) max = Math.max(max, (t[r * K + j] - c[j]) / 0.04);
            for (int j = 0; j < K; j++) z += Math.exp((t[r * K + j] - c[j]) / 0.04 - max);
            for (int j = 0; j < K; j++) {
                double p = Math.exp((t[r * K + j] - c[j]) / 0.04 - max) / z;
                marg[j] += p / (2 * B);
                if (p > 0) hSum -= p * Math.log(p) / (2 * B);
            }
        }
        double hm = 0;
        for (double p : marg) if (p > 0) hm -= p * Math.log(p);
        for (float v : c) cn += v * v;
        assertThat(h.teacherEntropy()).isCloseTo(hSum, within(1e-4));
        assertThat(h.marginalEntropy()).isCloseTo(hm, within(1e-4));
        assertThat(h.klStudentTeacher()).isCloseTo(4.0 - hSum, within(1e-4));
        assertThat(h.centerNorm()).isCloseTo(Math.sqrt(cn), within(1e-5));
    }
}
