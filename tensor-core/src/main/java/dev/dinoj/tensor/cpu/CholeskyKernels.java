package dev.dinoj.tensor.cpu;

/**
 * Cholesky factorisation A = L L^T of symmetric positive definite matrices and the triangular solves
 * with its factor, batched over row-major n x n matrices. Sums run in double and round once to float:
 * the coding rate's matrices (I + c Z^T Z, n up to 512) are well conditioned, but n float rounding
 * steps per entry would cost digits the log-determinant's gradient needs. Each matrix (and each block
 * of right-hand-side columns) is one task, in a fixed order, so results do not depend on the thread count.
 */
public final class CholeskyKernels {
    /** Right-hand-side columns per task of a solve: a row of the block stays in L1 while k runs. */
    private static final int COLUMN_BLOCK = 64;

    private CholeskyKernels() {}

    /**
     * L (lower, zeros above the diagonal) of each of {@code batch} n x n matrices at a[aOff + b*n*n ..],
     * reading only their lower triangles, into l[lOff + b*n*n ..] (may be a itself). Returns null when
     * every matrix is positive definite, else {matrix, order}: the first matrix whose leading minor of
     * that order (1-based) is not positive (or not finite).
     */
    public static int[] factor(float[] a, int aOff, float[] l, int lOff, int batch, int n) {
        int[] failedOrder = new int[batch];
        Parallel.forRange(batch, 1, (long) n * n * n / 3, (s, e) -> {
            double[] work = new double[n * n];
            for (int b = s; b < e; b++) failedOrder[b] = factorOne(a, aOff + b * n * n, l, lOff + b * n * n, n, work);
        });
        for (int b = 0; b < batch; b++) {
            if (failedOrder[b] != 0) return new int[] {b, failedOrder[b]};
        }
        return null;
    }

    /** One matrix; 0 on success, else the order of the first non-positive leading minor (L is then incomplete). */
    private static int factorOne(float[] a, int ao, float[] l, int lo, int n, double[] w) {
        // w holds L row by row (its lower triangle): the dot products of column j run over contiguous rows
        for (int j = 0; j < n; j++) {
            int rj = j * n;
            double d = a[ao + rj + j];
            for (int k = 0; k < j; k++) d -= w[rj + k] * w[rj + k];
            if (!(d > 0) || !Double.isFinite(d)) return j + 1;
            double ljj = Math.sqrt(d);
            w[rj + j] = ljj;
            for (int i = j + 1; i < n; i++) {
                int ri = i * n;
                double s = a[ao + ri + j];
                for (int k = 0; k < j; k++) s -= w[ri + k] * w[rj + k];
                w[ri + j] = s / ljj;
            }
        }
        for (int i = 0; i < n; i++) {
            int ri = i * n;
            for (int j = 0; j <= i; j++) l[lo + ri + j] = (float) w[ri + j];
            for (int j = i + 1; j < n; j++) l[lo + ri + j] = 0f;
        }
        return 0;
    }

    /**
     * X = L^-1 B (or L^-T B when {@code transpose}) for each of {@code batch} lower-triangular n x n L
     * (only the lower triangle is read) and n x m B, all row-major; x may not alias b. A zero or
     * non-finite diagonal gives non-finite X (the caller checks factors before solving with them).
     */
    public static void solve(float[] l, int lOff, float[] b, int bOff, float[] x, int xOff, int batch, int n, int m, boolean transpose) {
        int blocks = (m + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        Parallel.forRange(batch * blocks, 1, (long) n * n * Math.min(m, COLUMN_BLOCK) / 2, (s, e) -> {
            double[] acc = new double[COLUMN_BLOCK];
            for (int t = s; t < e; t++) {
                int mat = t / blocks, c0 = t % blocks * COLUMN_BLOCK, w = Math.min(COLUMN_BLOCK, m - c0);
                int lo = lOff + mat * n * n, bo = bOff + mat * n * m + c0, xo = xOff + mat * n * m + c0;
                if (transpose) solveUpper(l, lo, b, bo, x, xo, n, m, w, acc);
                else solveLower(l, lo, b, bo, x, xo, n, m, w, acc);
            }
        });
    }

    /** Forward substitution: X[i] = (B[i] - sum_{k<i} L[i,k] X[k]) / L[i,i], over w columns. */
    private static void solveLower(float[] l, int lo, float[] b, int bo, float[] x, int xo, int n, int m, int w, double[] acc) {
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < w; c++) acc[c] = b[bo + i * m + c];
            for (int k = 0; k < i; k++) {
                double lik = l[lo + i * n + k];
                int xr = xo + k * m;
                for (int c = 0; c < w; c++) acc[c] -= lik * x[xr + c];
            }
            double inv = 1.0 / l[lo + i * n + i];
            for (int c = 0; c < w; c++) x[xo + i * m + c] = (float) (acc[c] * inv);
        }
    }

    /** Back substitution with L^T: X[i] = (B[i] - sum_{k>i} L[k,i] X[k]) / L[i,i], i from the last row up. */
    private static void solveUpper(float[] l, int lo, float[] b, int bo, float[] x, int xo, int n, int m, int w, double[] acc) {
        for (int i = n - 1; i >= 0; i--) {
            for (int c = 0; c < w; c++) acc[c] = b[bo + i * m + c];
            for (int k = i + 1; k < n; k++) {
                double lki = l[lo + k * n + i];
                int xr = xo + k * m;
                for (int c = 0; c < w; c++) acc[c] -= lki * x[xr + c];
            }
            double inv = 1.0 / l[lo + i * n + i];
            for (int c = 0; c < w; c++) x[xo + i * m + c] = (float) (acc[c] * inv);
        }
    }
}
