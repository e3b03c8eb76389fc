package dev.dinoj.tensor.cpu;

import dev.dinoj.tensor.ReduceOp;
import dev.dinoj.tensor.Tensor;

/**
 * Reductions over any set of dimensions. Sums accumulate in double (float32 inputs keep full precision
 * over millions of terms). Two strategies, chosen by memory layout:
 * <ul>
 *   <li>row: one output at a time, walking its reduced elements (fast when they are contiguous,
 *       e.g. a sum over the last dimension);</li>
 *   <li>column: when the reduced elements are strided but neighbouring outputs are contiguous
 *       (e.g. a sum over the batch dimension), a tile of outputs is accumulated together so that every
 *       input row is read once, contiguously.</li>
 * </ul>
 */
final class ReductionKernels {
    private static final int TILE = 512;

    private ReductionKernels() {}

    static void reduce(ReduceOp op, Tensor x, int[] dims, int correction, Tensor out) {
        int rank = x.rank();
        int[] shape = x.dims(), xs = x.strides();
        boolean[] reduced = new boolean[rank];
        for (int d : dims) reduced[d] = true;
        int nk = rank - dims.length;
        int[] kSizes = new int[nk], kX = new int[nk], kOut = new int[nk];
        int[] rSizes = new int[dims.length], rX = new int[dims.length];
        int[] outStrides = out.strides();
        for (int d = 0, a = 0, b = 0; d < rank; d++) {
            if (reduced[d]) {
                rSizes[b] = shape[d];
                rX[b++] = xs[d];
            } else {
                kSizes[a] = shape[d];
                kX[a] = xs[d];
                kOut[a++] = outStrides[d];
            }
        }
        StridedLoop red = StridedLoop.of(rSizes, new int[][] {rX}, new int[] {0});
        StridedLoop kept = StridedLoop.of(kSizes, new int[][] {kX, kOut}, new int[] {x.offset(), out.offset()});
        float[] xv = ElementwiseKernels.f(x);
        boolean sumLike = op == ReduceOp.SUM || op == ReduceOp.MEAN || op == ReduceOp.NORM || op == ReduceOp.VAR;
        boolean column = sumLike && red.numel > 1 && red.innerStride(0) != 1
                && kept.innerStride(0) == 1 && kept.innerSize() >= 8;
        if (column) {
            columnReduce(op, xv, red, kept, correction, ElementwiseKernels.f(out));
        } else {
            rowReduce(op, xv, red, kept, correction, out);
        }
    }

    private static void rowReduce(ReduceOp op, float[] x, StridedLoop red, StridedLoop kept, int correction, Tensor out) {
        int kxs = kept.innerStride(0), kos = kept.innerStride(1);
        int n = red.numel;
        boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
        float[] of = arg ? null : ElementwiseKernels.f(out);
        int[] oi = arg ? ElementwiseKernels.i(out) : null;
        kept.run(Math.max(1, n), (offs, len) -> {
            double[] acc = new double[2];
            for (int j = 0; j < len; j++) {
                int base = offs[0] + j * kxs;
                int o = offs[1] + j * kos;
                switch (op) {
                    case SUM: of[o] = (float) sum(x, base, red, 0.0, false); break;
                    case MEAN: of[o] = (float) (sum(x, base, red, 0.0, false) / n); break;
                    case NORM: of[o] = (float) Math.sqrt(sum(x, base, red, 0.0, true)); break;
                    case VAR: {
                        double mean = sum(x, base, red, 0.0, false) / n;
                        of[o] = (float) (sum(x, base, red, mean, true) / Math.max(0, n - correction));
                        break;
                    }
                    default: {
                        extreme(op, x, base, red, acc);
                        if (arg) oi[o] = (int) acc[1];
                        else of[o] = (float) acc[0];
                    }
                }
            }
        });
    }

    /** Sum of x (or of (x - shift)^2 when squares) over the reduced space starting at base. */
    private static double sum(float[] x, int base, StridedLoop red, double shift, boolean squares) {
        int rs = red.innerStride(0);
        double[] total = new double[1];
        red.runRange(0, red.numel, (roffs, len) -> {
            int s = base + roffs[0];
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            int i = 0;
            if (rs == 1) {
                if (squares) {
                    for (; i + 3 < len; i += 4) {
                        double d0 = x[s + i] - shift, d1 = x[s + i + 1] - shift, d2 = x[s + i + 2] - shift, d3 = x[s + i + 3] - shift;
                        a0 += d0 * d0;
                        a1 += d1 * d1;
                        a2 += d2 * d2;
                        a3 += d3 * d3;
                    }
                    for (; i < len; i++) {
                        double d = x[s + i] - shift;
                        a0 += d * d;
                    }
                } else {
                    for (; i + 3 < len; i += 4) {
                        a0 += x[s + i];
                        a1 += x[s + i + 1];
                        a2 += x[s + i + 2];
                        a3 += x[s + i + 3];
                    }
                    for (; i < len; i++) a0 += x[s + i];
                }
            } else {
                for (; i < len; i++) {
                    double v = x[s + i * rs];
                    if (squares) {
                        v -= shift;
                        a0 += v * v;
                    } else {
                        a0 += v;
                    }
                }
            }
            total[0] += (a0 + a1) + (a2 + a3);
        });
        return total[0];
    }

    /** acc[0] = max/min value, acc[1] = its linear position (first one on ties; NaN wins and sticks). */
    private static void extreme(ReduceOp op, float[] x, int base, StridedLoop red, double[] acc) {
        boolean max = op == ReduceOp.MAX || op == ReduceOp.ARGMAX;
        int rs = red.innerStride(0);
        float[] best = {Float.NaN};
        int[] bestAt = {-1};
        int[] pos = {0};
        red.runRange(0, red.numel, (roffs, len) -> {
            int s = base + roffs[0];
            float b = best[0];
            int at = bestAt[0], p = pos[0];
            for (int i = 0; i < len; i++) {
                float v = x[s + i * rs];
                if (at < 0 || (b == b && (v != v || (max ? v > b : v < b)))) {
                    b = v;
                    at = p + i;
                }
            }
            best[0] = b;
            bestAt[0] = at;
            pos[0] = p + len;
        });
        acc[0] = best[0];
        acc[1] = bestAt[0];
    }

    private static void columnReduce(ReduceOp op, float[] x, StridedLoop red, StridedLoop kept, int correction, float[] out) {
        int inner = kept.innerSize();
        int outer = kept.numel / inner;
        // narrower tiles when there would be fewer tasks than threads (a bias gradient: one output row of
        // a few hundred columns); each column sums the same rows in the same order whatever its tile
        int tile = TILE;
        if (outer * ((inner + TILE - 1) / TILE) < 2 * Parallel.threads()) {
            tile = Math.min(TILE, Math.max(16, ((inner + 2 * Parallel.threads() - 1) / (2 * Parallel.threads()) + 7) / 8 * 8));
        }
        int tw = tile, tiles = (inner + tile - 1) / tile;
        int n = red.numel;
        int kos = kept.innerStride(1);
        Parallel.forRange(outer * tiles, 1, (long) n * Math.min(inner, tile), (s, e) -> {
            double[] acc = new double[tw];
            for (int task = s; task < e; task++) {
                int o = task / tiles, j0 = (task % tiles) * tw, w = Math.min(tw, inner - j0);
                int[] offs = new int[2];
                kept.runRange(o * inner, o * inner + 1, (ko, len) -> {
                    offs[0] = ko[0];
                    offs[1] = ko[1];
                });
                int xb = offs[0] + j0, ob = offs[1] + j0 * kos;
                java.util.Arrays.fill(acc, 0, w, 0.0);
                if (op == ReduceOp.NORM) {
                    accumulateRows(x, xb, red, acc, w, new double[w]);
                    for (int j = 0; j < w; j++) out[ob + j * kos] = (float) Math.sqrt(acc[j]);
                    continue;
                }
                accumulateRows(x, xb, red, acc, w, null);
                if (op == ReduceOp.VAR) {
                    double[] mean = new double[w];
                    for (int j = 0; j < w; j++) mean[j] = acc[j] / n;
                    java.util.Arrays.fill(acc, 0, w, 0.0);
                    accumulateRows(x, xb, red, acc, w, mean);
                    for (int j = 0; j < w; j++) out[ob + j * kos] = (float) (acc[j] / Math.max(0, n - correction));
                } else {
                    double scale = op == ReduceOp.MEAN ? 1.0 / n : 1.0;
                    for (int j = 0; j < w; j++) out[ob + j * kos] = (float) (acc[j] * scale);
                }
            }
        });
    }

    /** acc[j] += x[row + j] (or (x - shift[j])^2 when shift is given) over every reduced row. */
    private static void accumulateRows(float[] x, int xb, StridedLoop red, double[] acc, int w, double[] shift) {
        int rs = red.innerStride(0);
        red.runRange(0, red.numel, (roffs, len) -> {
            for (int t = 0; t < len; t++) {
                int row = xb + roffs[0] + t * rs;
                if (shift == null) {
                    for (int j = 0; j < w; j++) acc[j] += x[row + j];
                } else {
                    for (int j = 0; j < w; j++) {
                        double d = x[row + j] - shift[j];
                        acc[j] += d * d;
                    }
                }
            }
        });
    }
}
