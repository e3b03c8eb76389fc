package dev.dinoj.autograd;

import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Cholesky, triangular solve, log-determinant and diagonal: values and gradients against double
 * references written from the definitions (the log-determinant's by Gaussian elimination, which shares
 * nothing with Cholesky), through the symmetric constructions a loss uses (I + c Z^T Z, (M + M^T) / 2).
 */
class LinearAlgebraGradTest {
    private final Generator gen = new Generator(2024);
    private final DoubleGradCheck check = DoubleGradCheck.defaults();

    /** [..., n, n] matrices, each by the textbook recurrence, reading the lower triangle only. */
    private static DoubleArray cholesky(DoubleArray a) {
        int n = a.size(-1), batch = a.numel() / (n * n);
        double[] v = a.values(), l = new double[v.length];
        for (int b = 0; b < batch; b++) {
            int o = b * n * n;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j <= i; j++) {
                    double s = v[o + i * n + j];
                    for (int k = 0; k < j; k++) s -= l[o + i * n + k] * l[o + j * n + k];
                    l[o + i * n + j] = i == j ? Math.sqrt(s) : s / l[o + j * n + j];
                }
            }
        }
        return new DoubleArray(l, a.shape());
    }

    /** op(L)^-1 B by substitution, L's lower triangle only. */
    private static DoubleArray solve(DoubleArray l, DoubleArray b, boolean transpose) {
        int n = l.size(-1), m = b.size(-1), batch = l.numel() / (n * n);
        double[] lv = l.values(), bv = b.values(), x = new double[bv.length];
        for (int t = 0; t < batch; t++) {
            int lo = t * n * n, bo = t * n * m;
            for (int c = 0; c < m; c++) {
                for (int s = 0; s < n; s++) {
                    int i = transpose ? n - 1 - s : s;
                    double acc = bv[bo + i * m + c];
                    if (transpose) for (int k = i + 1; k < n; k++) acc -= lv[lo + k * n + i] * x[bo + k * m + c];
                    else for (int k = 0; k < i; k++) acc -= lv[lo + i * n + k] * x[bo + k * m + c];
                    x[bo + i * m + c] = acc / lv[lo + i * n + i];
                }
            }
        }
        return new DoubleArray(x, b.shape());
    }

    private static DoubleArray eye(int n) {
        double[] v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        return new DoubleArray(v, n, n);
    }

    @Test
    void logdetOfTheCodingRatesMatrixAgainstGaussianElimination() {
        int b = 5, n = 7;
        float c = n / (b * 0.5f);
        Tensor z = Tensor.randn(gen, b, n).mul(0.4f);
        check.check(v -> Variable.constant(Tensor.eye(n, Device.CPU)).add(v[0].transpose(0, 1).matmul(v[0]).mul(c)).logdetSpd(),
                x -> eye(n).add(x[0].transpose(0, 1).matmul(x[0]).mul(c)).logAbsDet(), z);
        // batched: one log-determinant per matrix
        Tensor zb = Tensor.randn(gen, 3, b, n).mul(0.4f);
        check.check(v -> Variable.constant(Tensor.eye(n, Device.CPU)).add(v[0].transpose(1, 2).matmul(v[0]).mul(c)).logdetSpd(),
                x -> eye(n).add(x[0].transpose(1, 2).matmul(x[0]).mul(c)).logAbsDet(), zb);
    }

    @Test
    void choleskyOfASymmetricConstruction() {
        int n = 6;
        Tensor m = Tensor.randn(gen, n, n);
        Variable shift = Variable.constant(Tensor.eye(n, Device.CPU).mul(n));
        check.check(v -> v[0].add(v[0].transpose(0, 1)).mul(0.5f).add(shift).cholesky(),
                x -> cholesky(x[0].add(x[0].transpose(0, 1)).mul(0.5).add(eye(n).mul(n))), m);
        Tensor mb = Tensor.randn(gen, 2, 4, 4);
        Variable shift4 = Variable.constant(Tensor.eye(4, Device.CPU).mul(4));
        check.check(v -> v[0].add(v[0].transpose(1, 2)).mul(0.5f).add(shift4).cholesky(),
                x -> cholesky(x[0].add(x[0].transpose(1, 2)).mul(0.5).add(eye(4).mul(4))), mb);
    }

    @Test
    void triangularSolveInBothDirectionsAndItsFactorsGradient() {
        int n = 5;
        // a well-conditioned lower triangle; the entries above it are never read (their gradient is 0)
        Tensor l = Tensor.randn(gen, n, n).mul(0.3f).add(Tensor.eye(n, Device.CPU).mul(2f));
        Tensor b = Tensor.randn(gen, n, 3);
        for (boolean transpose : new boolean[] {false, true}) {
            check.check(v -> v[0].solveTriangular(v[1], transpose), x -> solve(x[0], x[1], transpose), l, b);
        }
        Tensor lb = Tensor.randn(gen, 2, 4, 4).mul(0.3f).add(Tensor.eye(4, Device.CPU).mul(2f));
        check.check(v -> v[0].solveTriangular(v[1], true), x -> solve(x[0], x[1], true), lb, Tensor.randn(gen, 2, 4, 2));
    }

    @Test
    void diagonalAndTheLogdetOfItsFactorAgree() {
        Tensor x = Tensor.randn(gen, 3, 4, 6);
        check.check(v -> v[0].diagonal(), a -> {
            double[] out = new double[3 * 4];
            for (int b = 0; b < 3; b++) for (int i = 0; i < 4; i++) out[b * 4 + i] = a[0].get(b, i, i);
            return new DoubleArray(out, 3, 4);
        }, x);
        // the differentiable logdet and 2 sum(log(diag(cholesky))) through the composed ops: the same value and gradient
        int n = 8;
        Tensor z = Tensor.randn(gen, 4, n).mul(0.5f);
        Variable zv = Variable.leaf(z.copy()), zw = Variable.leaf(z.copy());
        Variable eye = Variable.constant(Tensor.eye(n, Device.CPU));
        Variable direct = eye.add(zv.transpose(0, 1).matmul(zv).mul(3f)).logdetSpd();
        Variable composed = eye.add(zw.transpose(0, 1).matmul(zw).mul(3f)).cholesky().diagonal().log().sum().mul(2f);
        assertThat((double) direct.item()).isCloseTo(composed.item(), within(1e-5));
        direct.backward();
        composed.backward();
        float[] a = zv.grad().toFloatArray(), c = zw.grad().toFloatArray();
        for (int i = 0; i < a.length; i++) assertThat((double) a[i]).isCloseTo(c[i], within(1e-4));
    }
}
