package dev.dinoj.dino.eval;

import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Tensor;

/**
 * The effective rank of a set of features (Roy and Vetterli, 2007): exp of the entropy of the
 * centred feature matrix's singular values normalised to sum 1. It is D for features that spread
 * evenly over D directions and 1 when every image maps onto one line: the number to watch for
 * dimensional collapse. Singular values come from the eigenvalues of the D x D scatter matrix
 * (Householder tridiagonalisation, then implicit QL), in double precision.
 */
public final class EffectiveRank {
    private EffectiveRank() {}

    /** Of features [N, D] (any device); NaN when fewer than two rows. */
    public static double of(Tensor features) {
        if (features.rank() != 2) throw new IllegalArgumentException("effective rank: features must be [N, D], got " + features.shape());
        int n = features.size(0), d = features.size(1);
        if (n < 2) return Double.NaN;
        float[] x = features.to(Device.CPU).contiguous().toFloatArray();
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += x[i * d + j] / (double) n;
        double[][] scatter = new double[d][d];
        double[] row = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) row[j] = x[i * d + j] - mean[j];
            for (int a = 0; a < d; a++) {
                double ra = row[a];
                if (ra == 0) continue;
                double[] s = scatter[a];
                for (int b = 0; b <= a; b++) s[b] += ra * row[b];
            }
        }
        for (int a = 0; a < d; a++) for (int b = 0; b < a; b++) scatter[b][a] = scatter[a][b];
        return fromEigenvalues(symmetricEigenvalues(scatter));
    }

    /** exp(H(p)) with p the singular values sqrt(max(lambda, 0)) normalised to sum 1. */
    static double fromEigenvalues(double[] lambda) {
        double sum = 0;
        double[] s = new double[lambda.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = Math.sqrt(Math.max(0, lambda[i]));
            sum += s[i];
        }
        if (!(sum > 0)) return 0;
        double h = 0;
        for (double v : s) {
            double p = v / sum;
            if (p > 0) h -= p * Math.log(p);
        }
        return Math.exp(h);
    }

    /** Eigenvalues of a symmetric matrix (which is overwritten), in no particular order. */
    static double[] symmetricEigenvalues(double[][] a) {
        int n = a.length;
        double[] d = new double[n], e = new double[n];
        if (n == 1) return new double[] {a[0][0]};
        // Householder: A = Q T Q^T with T tridiagonal (diagonal d, off-diagonal e[i] between i and i+1)
        double[] v = new double[n], p = new double[n];
        for (int k = 0; k < n - 2; k++) {
            double norm = 0;
            for (int i = k + 1; i < n; i++) norm += a[i][k] * a[i][k];
            norm = Math.sqrt(norm);
            double alpha = a[k + 1][k] > 0 ? -norm : norm;
            d[k] = a[k][k];
            e[k] = alpha;
            double vnorm = 0;
            for (int i = k + 1; i < n; i++) {
                v[i] = a[i][k] - (i == k + 1 ? alpha : 0);
                vnorm += v[i] * v[i];
            }
            if (vnorm == 0) {
                e[k] = a[k + 1][k];
                continue;
            }
            vnorm = Math.sqrt(vnorm);
            for (int i = k + 1; i < n; i++) v[i] /= vnorm;
            double kk = 0;
            for (int i = k + 1; i < n; i++) {
                double s = 0;
                for (int j = k + 1; j < n; j++) s += a[i][j] * v[j];
                p[i] = s;
                kk += v[i] * s;
            }
            for (int i = k + 1; i < n; i++) p[i] -= kk * v[i]; // q = p - (v.p) v
            for (int i = k + 1; i < n; i++) {
                for (int j = k + 1; j < n; j++) a[i][j] -= 2 * (v[i] * p[j] + p[i] * v[j]);
            }
        }
        d[n - 2] = a[n - 2][n - 2];
        e[n - 2] = a[n - 1][n - 2];
        d[n - 1] = a[n - 1][n - 1];
        e[n - 1] = 0;
        tridiagonalQl(d, e);
        return d;
    }

    /** Implicit QL with Wilkinson-style shifts on a symmetric tridiagonal matrix; d becomes the eigenvalues. */
    private static void tridiagonalQl(double[] d, double[] e) {
        int n = d.length;
        for (int l = 0; l < n; l++) {
            int iter = 0, m;
            do {
                for (m = l; m < n - 1; m++) {
                    double dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
                    if (Math.abs(e[m]) <= 1e-15 * dd) break;
                }
                if (m != l) {
                    if (++iter > 60) throw new ArithmeticException("effective rank: eigenvalue iteration did not converge");
                    double g = (d[l + 1] - d[l]) / (2 * e[l]);
                    double r = Math.hypot(g, 1);
                    g = d[m] - d[l] + e[l] / (g + Math.copySign(r, g));
                    double s = 1, c = 1, pp = 0;
                    int i;
                    boolean underflow = false;
                    for (i = m - 1; i >= l; i--) {
                        double f = s * e[i], b = c * e[i];
                        r = Math.hypot(f, g);
                        e[i + 1] = r;
                        if (r == 0) {
                            d[i + 1] -= pp;
                            e[m] = 0;
                            underflow = true;
                            break;
                        }
                        s = f / r;
                        c = g / r;
                        g = d[i + 1] - pp;
                        r = (d[i] - g) * s + 2 * c * b;
                        pp = s * r;
                        d[i + 1] = g + pp;
                        g = c * r - b;
                    }
                    if (underflow) continue;
                    d[l] -= pp;
                    e[l] = g;
                    e[m] = 0;
                }
            } while (m != l);
        }
    }
}
