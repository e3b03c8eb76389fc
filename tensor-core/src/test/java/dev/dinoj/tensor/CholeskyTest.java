package dev.dinoj.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.dinoj.tensor.Reference.assertClose;
import static dev.dinoj.tensor.Reference.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Cholesky factorisation, triangular solves and log-determinants against double-precision references
 * written from the definitions, on odd sizes and batches (the coding rate's I + c Z^T Z up to 512).
 */
class CholeskyTest {
    private final Random r = new Random(5);

    /** I + c Z^T Z for a random b x n Z (the coding rate's matrix), as doubles and as a tensor. */
    private double[] codingRateMatrix(int b, int n, double c) {
        double[] z = new double[b * n];
        for (int i = 0; i < z.length; i++) z[i] = r.nextGaussian() / Math.sqrt(n);
        double[] a = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < b; k++) s += z[k * n + i] * z[k * n + j];
                a[i * n + j] = (i == j ? 1 : 0) + c * s;
            }
        }
        return a;
    }

    private static Tensor tensor(double[] v, int... dims) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return Tensor.fromArray(f, dims);
    }

    /** The textbook Cholesky-Banachiewicz recurrence in double, from the float values a tensor holds. */
    private static double[] referenceCholesky(double[] a, int n) {
        double[] l = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
                l[i * n + j] = i == j ? Math.sqrt(s) : s / l[j * n + j];
            }
        }
        return l;
    }

    /** log |det A| by Gaussian elimination with partial pivoting: a computation that shares nothing with Cholesky. */
    private static double referenceLogDet(double[] a0, int n) {
        double[] a = a0.clone();
        double logdet = 0;
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int i = c + 1; i < n; i++) if (Math.abs(a[i * n + c]) > Math.abs(a[p * n + c])) p = i;
            if (p != c) {
                for (int j = 0; j < n; j++) {
                    double t = a[c * n + j];
                    a[c * n + j] = a[p * n + j];
                    a[p * n + j] = t;
                }
            }
            double piv = a[c * n + c];
            logdet += Math.log(Math.abs(piv));
            for (int i = c + 1; i < n; i++) {
                double f = a[i * n + c] / piv;
                for (int j = c; j < n; j++) a[i * n + j] -= f * a[c * n + j];
            }
        }
        return logdet;
    }

    @Test
    void choleskyMatchesTheDoubleRecurrenceOnOddSizes() {
        for (int n : new int[] {1, 2, 7, 33, 130, 257}) {
            double[] a = codingRateMatrix(n / 2 + 3, n, 4.0);
            Tensor t = tensor(a, n, n);
            Tensor l = t.cholesky();
            assertClose(l, referenceCholesky(values(t), n), 1e-6);
            // zeros above the diagonal, and L L^T gives the matrix back
            float[] lv = l.toFloatArray();
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) assertThat(lv[i * n + j]).isZero();
            assertClose(l.matmul(l.t()), values(t), 1e-6);
        }
    }

    @Test
    void onlyTheLowerTriangleIsRead() {
        int n = 9;
        double[] a = codingRateMatrix(4, n, 2.0);
        double[] garbageAbove = a.clone();
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) garbageAbove[i * n + j] = 1e6 * r.nextGaussian();
        assertThat(tensor(garbageAbove, n, n).cholesky().toFloatArray()).containsExactly(tensor(a, n, n).cholesky().toFloatArray());
    }

    @Test
    void batchedAndStridedInputsFactorEachMatrix() {
        int batch = 5, n = 17;
        double[] all = new double[batch * n * n];
        for (int b = 0; b < batch; b++) System.arraycopy(codingRateMatrix(6, n, 3.0), 0, all, b * n * n, n * n);
        Tensor t = tensor(all, batch, n, n);
        Tensor l = t.cholesky();
        for (int b = 0; b < batch; b++) {
            assertThat(l.select(0, b).toFloatArray()).containsExactly(t.select(0, b).cholesky().toFloatArray());
        }
        // a transposed view of a symmetric batch is the same matrices
        assertThat(t.transpose(1, 2).cholesky().toFloatArray()).containsExactly(l.toFloatArray());
        assertThat(Tensor.zeros(2, 3, 0, 0).cholesky().dims()).containsExactly(2, 3, 0, 0);
    }

    @Test
    void aMatrixThatIsNotPositiveDefiniteIsNamedWithItsFailingMinor() {
        Tensor batch = Tensor.stack(0, Tensor.eye(3, Device.CPU), Tensor.fromArray(new float[] {1, 2, 0, 2, 1, 0, 0, 0, 1}, 3, 3));
        assertThatThrownBy(batch::cholesky).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("matrix 1 of the batch").hasMessageContaining("not positive definite").hasMessageContaining("order 2");
        Tensor nan = Tensor.fromArray(new float[] {Float.NaN}, 1, 1);
        assertThatThrownBy(nan::cholesky).hasMessageContaining("the matrix").hasMessageContaining("order 1");
        assertThatThrownBy(() -> Tensor.zeros(3, 4).cholesky()).hasMessageContaining("square matrices");
    }

    @Test
    void triangularSolvesInvertTheFactorAndItsTranspose() {
        for (int[] s : new int[][] {{1, 1}, {7, 3}, {33, 70}, {130, 129}}) {
            int n = s[0], m = s[1];
            Tensor l = tensor(codingRateMatrix(n, n, 1.0), n, n).cholesky();
            Tensor b = Reference.random(r, n, m);
            Tensor x = l.solveTriangular(b, false), xt = l.solveTriangular(b, true);
            assertClose(l.matmul(x), values(b), 1e-5);
            assertClose(l.t().matmul(xt), values(b), 1e-5);
            // the reference: substitution in double from the float factor
            double[] lv = values(l), bv = values(b), ref = new double[n * m];
            for (int c = 0; c < m; c++) {
                for (int i = 0; i < n; i++) {
                    double acc = bv[i * m + c];
                    for (int k = 0; k < i; k++) acc -= lv[i * n + k] * ref[k * m + c];
                    ref[i * m + c] = acc / lv[i * n + i];
                }
            }
            assertClose(x, ref, 1e-6);
        }
        Tensor l = Tensor.eye(3, Device.CPU);
        assertThatThrownBy(() -> l.solveTriangular(Tensor.zeros(4, 2), false)).hasMessageContaining("[4, 2]").hasMessageContaining("[..., 3, m]");
        // batched, and a right-hand side that is a strided view
        Tensor lb = Tensor.stack(0, tensor(codingRateMatrix(5, 6, 1.0), 6, 6).cholesky(), tensor(codingRateMatrix(5, 6, 2.0), 6, 6).cholesky());
        Tensor rhs = Reference.random(r, 2, 4, 6).transpose(1, 2);
        Tensor xb = lb.solveTriangular(rhs, true);
        assertClose(lb.transpose(1, 2).matmul(xb), values(rhs), 1e-5);
    }

    @Test
    void logdetEqualsGaussianEliminationsAtTheCodingRatesSizes() {
        for (int[] s : new int[][] {{1, 1}, {16, 33}, {32, 256}, {64, 512}}) {
            int b = s[0], n = s[1];
            double[] a = codingRateMatrix(b, n, (double) n / (b * 0.5));
            Tensor t = tensor(a, n, n);
            double expected = referenceLogDet(values(t), n);
            assertThat((double) t.logdetSpd().item()).as("n = %d", n).isCloseTo(expected, within(1e-5 * Math.max(1, Math.abs(expected))));
        }
    }
}
