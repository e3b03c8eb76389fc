package dev.dinoj.dino.eval;

import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class EffectiveRankTest {
    /** Q diag(lambda) Q^T with a random orthogonal Q (Gram-Schmidt). */
    private static double[][] withEigenvalues(double[] lambda, long seed) {
        int n = lambda.length;
        Random r = new Random(seed);
        double[][] q = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) q[i][j] = r.nextGaussian();
            for (int k = 0; k < i; k++) {
                double dot = 0;
                for (int j = 0; j < n; j++) dot += q[i][j] * q[k][j];
                for (int j = 0; j < n; j++) q[i][j] -= dot * q[k][j];
            }
            double norm = 0;
            for (int j = 0; j < n; j++) norm += q[i][j] * q[i][j];
            norm = Math.sqrt(norm);
            for (int j = 0; j < n; j++) q[i][j] /= norm;
        }
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += q[k][i] * lambda[k] * q[k][j];
                a[i][j] = s;
            }
        }
        return a;
    }

    @Test
    void eigenvaluesOfKnownSpectraAreRecovered() {
        for (int n : new int[] {1, 2, 3, 7, 33, 97}) {
            Random r = new Random(n);
            double[] lambda = new double[n];
            for (int i = 0; i < n; i++) lambda[i] = r.nextDouble() * 10 - (i % 5 == 0 ? 0 : 2);
            if (n > 3) lambda[1] = lambda[2]; // a repeated eigenvalue
            double[] got = EffectiveRank.symmetricEigenvalues(withEigenvalues(lambda, 7 * n));
            double[] want = lambda.clone();
            Arrays.sort(got);
            Arrays.sort(want);
            for (int i = 0; i < n; i++) assertThat(got[i]).as("n=%d, eigenvalue %d", n, i).isCloseTo(want[i], within(1e-9 * (1 + Math.abs(want[i]))));
        }
    }

    @Test
    void evenlySpreadFeaturesHaveFullRankAndALineHasRankOne() {
        int n = 400, d = 16;
        Random r = new Random(3);
        float[] iso = new float[n * d], line = new float[n * d];
        for (int i = 0; i < n; i++) {
            float t = (float) r.nextGaussian();
            for (int j = 0; j < d; j++) {
                iso[i * d + j] = (float) r.nextGaussian();
                line[i * d + j] = t * (j + 1) + 5f; // one direction plus a constant offset (removed by centring)
            }
        }
        assertThat(EffectiveRank.of(Tensor.fromArray(iso, n, d))).isBetween(0.9 * d, 1.0 * d);
        assertThat(EffectiveRank.of(Tensor.fromArray(line, n, d))).isCloseTo(1.0, within(1e-2));
        assertThat(EffectiveRank.fromEigenvalues(new double[] {4, 4, 0, 0})).isCloseTo(2.0, within(1e-12));
    }
}
