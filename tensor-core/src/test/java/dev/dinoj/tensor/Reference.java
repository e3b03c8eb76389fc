package dev.dinoj.tensor;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Independent double-precision references and comparison helpers for the tests. */
final class Reference {
    private Reference() {}

    static float[] randomArray(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian());
        return v;
    }

    static Tensor random(Random r, int... dims) {
        return Tensor.fromArray(randomArray(r, (int) Shape.of(dims).numel()), dims);
    }

    /** ||out - ref|| / ||ref|| (absolute norm when ref is all zeros); NaN in out fails. */
    static double relErr(float[] out, double[] ref) {
        assertThat(out).hasSameSizeAs(ref);
        double num = 0, den = 0;
        for (int i = 0; i < out.length; i++) {
            if (Double.isNaN(out[i]) != Double.isNaN(ref[i])) return Double.POSITIVE_INFINITY;
            if (Double.isNaN(ref[i])) continue;
            if (Double.isInfinite(ref[i])) {
                if (out[i] != ref[i]) return Double.POSITIVE_INFINITY;
                continue;
            }
            double d = out[i] - ref[i];
            num += d * d;
            den += ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    static void assertClose(Tensor out, double[] ref, double tol) {
        double e = relErr(out.toFloatArray(), ref);
        assertThat(e).as("relative error of %s", out.describe()).isLessThan(tol);
    }

    static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    /** Values of t in row-major order, read element by element through get (independent of the kernels). */
    static double[] values(Tensor t) {
        int n = (int) t.numel();
        double[] out = new double[n];
        int[] dims = t.dims();
        int[] idx = new int[dims.length];
        for (int lin = 0; lin < n; lin++) {
            out[lin] = t.get(idx);
            for (int d = dims.length - 1; d >= 0; d--) {
                if (++idx[d] < dims[d]) break;
                idx[d] = 0;
            }
        }
        return out;
    }

    /** erf in double: Maclaurin series for |x| < 3, else from erfc. */
    static double erf(double x) {
        if (Math.abs(x) >= 3) return Math.signum(x) * (1 - erfc(Math.abs(x)));
        double sum = 0, term = x;
        for (int n = 0; n < 200; n++) {
            double t = term / (2 * n + 1);
            sum += t;
            if (Math.abs(t) < 1e-18 * Math.abs(sum)) break;
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    /** erfc in double without cancellation: continued fraction for x >= 3, 2 - erfc(-x) for negative x. */
    static double erfc(double x) {
        if (x < 0) return 2 - erfc(-x);
        if (x < 3) return 1 - erf(x);
        // erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up
        double f = x;
        for (int n = 60; n >= 1; n--) f = x + (n / 2.0) / f;
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }

    static double gelu(double x) {
        return 0.5 * x * erfc(-x / Math.sqrt(2));
    }

    /** Naive matrix product of [m,k] and [k,n] row-major arrays, in double. */
    static double[] matmul(double[] a, double[] b, int m, int k, int n) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
                c[i * n + j] = s;
            }
        }
        return c;
    }
}
