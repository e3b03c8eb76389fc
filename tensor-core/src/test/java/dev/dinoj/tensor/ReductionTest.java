package dev.dinoj.tensor;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static dev.dinoj.tensor.Reference.assertClose;
import static dev.dinoj.tensor.Reference.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReductionTest {
    private final Random r = new Random(31);

    /** Reduces x over dims in double, returning the keepdim-shaped result in row-major order. */
    private static double[] reference(ReduceOp op, Tensor x, int[] dims, int correction) {
        int[] shape = x.dims();
        boolean[] red = new boolean[shape.length];
        for (int d : dims) red[d] = true;
        int[] outShape = shape.clone();
        for (int d : dims) outShape[d] = 1;
        int outN = (int) Shape.of(outShape).numel();
        double[] xv = values(x);
        double[][] groups = new double[outN][];
        int[] count = new int[outN];
        int groupSize = (int) (x.numel() / Math.max(1, outN));
        for (int i = 0; i < outN; i++) groups[i] = new double[groupSize];
        int[] idx = new int[shape.length];
        for (int lin = 0; lin < xv.length; lin++) {
            int o = 0;
            for (int d = 0; d < shape.length; d++) o = o * outShape[d] + (red[d] ? 0 : idx[d]);
            groups[o][count[o]++] = xv[lin];
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        double[] out = new double[outN];
        for (int i = 0; i < outN; i++) {
            double[] g = groups[i];
            double sum = Arrays.stream(g).sum(), mean = sum / g.length;
            switch (op) {
                case SUM: out[i] = sum; break;
                case MEAN: out[i] = mean; break;
                case MAX: out[i] = Arrays.stream(g).max().getAsDouble(); break;
                case MIN: out[i] = Arrays.stream(g).min().getAsDouble(); break;
                case VAR: out[i] = Arrays.stream(g).map(v -> (v - mean) * (v - mean)).sum() / (g.length - correction); break;
                case NORM: out[i] = Math.sqrt(Arrays.stream(g).map(v -> v * v).sum()); break;
                case ARGMAX: case ARGMIN: {
                    int best = 0;
                    for (int k = 1; k < g.length; k++) if (op == ReduceOp.ARGMAX ? g[k] > g[best] : g[k] < g[best]) best = k;
                    out[i] = best;
                    break;
                }
                default: throw new AssertionError(op);
            }
        }
        return out;
    }

    private static Tensor run(ReduceOp op, Tensor x, int[] dims, boolean keepdim, int correction) {
        switch (op) {
            case SUM: return x.sum(dims, keepdim);
            case MEAN: return x.mean(dims, keepdim);
            case VAR: return x.var(dims, keepdim, correction);
            case NORM: return x.norm(dims, keepdim);
            case MAX: return x.max(dims[0], keepdim);
            case MIN: return x.min(dims[0], keepdim);
            case ARGMAX: return x.argmax(dims[0], keepdim);
            case ARGMIN: return x.argmin(dims[0], keepdim);
            default: throw new AssertionError(op);
        }
    }

    @Test
    void everyReductionOverEveryDimensionSetMatchesReference() {
        Tensor base = Reference.random(r, 5, 7, 33);
        Tensor[] inputs = {base, base.permute(2, 0, 1), base.narrow(2, 3, 17)};
        int[][] dimSets = {{0}, {1}, {2}, {0, 2}, {1, 2}, {0, 1}, {0, 1, 2}};
        for (Tensor x : inputs) {
            for (ReduceOp op : ReduceOp.values()) {
                boolean single = op == ReduceOp.MAX || op == ReduceOp.MIN || op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
                for (int[] dims : dimSets) {
                    if (single && dims.length > 1) continue;
                    Tensor out = run(op, x, dims, true, 1);
                    int[] keep = x.dims();
                    for (int d : dims) keep[d] = 1;
                    assertThat(out.dims()).containsExactly(keep);
                    assertClose(out, reference(op, x, dims, 1), 1e-5);
                    Tensor squeezed = run(op, x, dims, false, 1);
                    assertThat(squeezed.numel()).isEqualTo(out.numel());
                    assertThat(squeezed.rank()).isEqualTo(x.rank() - dims.length);
                }
            }
        }
    }

    @Test
    void columnSumsOfWideMatricesMatch() {
        // the "sum over the batch" layout: [B, C] reduced over B, the bias-gradient / centering case
        Tensor x = Reference.random(r, 97, 1031);
        assertClose(x.sum(0, false), reference(ReduceOp.SUM, x, new int[] {0}, 0), 1e-5);
        assertClose(x.mean(0, true), reference(ReduceOp.MEAN, x, new int[] {0}, 0), 1e-5);
        assertClose(x.var(0, false), reference(ReduceOp.VAR, x, new int[] {0}, 1), 1e-5);
        assertClose(x.var(new int[] {0}, false, 0), reference(ReduceOp.VAR, x, new int[] {0}, 0), 1e-5);
    }

    @Test
    void longFloatSumsStayAccurate() {
        // 4M values of 0.1: a naive float accumulator drifts by about 1%; double accumulation does not
        int n = 1 << 22;
        Tensor x = Tensor.full(0.1f, n);
        double exact = (double) 0.1f * n;
        assertThat(Math.abs(x.sum().item() - exact) / exact).isLessThan(1e-6);
        assertThat(Math.abs(x.mean().item() - 0.1f)).isLessThan(1e-7f);
    }

    @Test
    void fullReductionsAndEmptyInputs() {
        Tensor x = Tensor.fromArray(new float[] {3, -1, 4, 1, -5, 9}, 2, 3);
        assertThat(x.sum().item()).isEqualTo(11f);
        assertThat(x.max().item()).isEqualTo(9f);
        assertThat(x.min().item()).isEqualTo(-5f);
        assertThat(x.norm().item()).isCloseTo((float) Math.sqrt(133), org.assertj.core.data.Offset.offset(1e-5f));
        assertThat(x.argmax(1, false).toIntArray()).containsExactly(2, 2);
        assertThat(x.argmin(0, true).toIntArray()).containsExactly(1, 1, 0);
        Tensor empty = Tensor.zeros(0, 3);
        assertThat(empty.sum(0, false).toFloatArray()).containsExactly(0, 0, 0);
        assertThatThrownBy(() -> empty.max(0, false)).hasMessageContaining("empty");
        assertThatThrownBy(() -> x.sum(2, false)).hasMessageContaining("dimension 2 is out of range for shape [2, 3]");
        assertThatThrownBy(() -> x.sum(new int[] {1, -1}, false)).hasMessageContaining("listed twice");
    }

    @Test
    void maxPropagatesNaN() {
        Tensor x = Tensor.fromArray(new float[] {1, Float.NaN, 3}, 3);
        assertThat(x.max().item()).isNaN();
        assertThat(x.argmax(0, false).toIntArray()).containsExactly(1);
    }

    @Test
    void normalizeDividesByTheNormOrEpsAlongOneDimension() {
        Tensor x = Tensor.fromArray(new float[] {3f, 4f, 0f, 0f, 1e-20f, 0f}, 3, 2);
        float[] y = x.normalize(1, 1e-12f).toFloatArray();
        assertThat(y[0]).isCloseTo(0.6f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(y[1]).isCloseTo(0.8f, org.assertj.core.data.Offset.offset(1e-6f));
        // a zero row stays zero; a tiny one is divided by eps, not by its norm
        assertThat(y[2]).isZero();
        assertThat(y[4]).isCloseTo(1e-8f, org.assertj.core.data.Offset.offset(1e-12f));
        float[] cols = x.normalize(0, 1e-12f).toFloatArray();
        assertThat(cols[0]).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-6f));
    }
}
