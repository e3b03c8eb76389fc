package dev.dinoj.autograd;

import dev.dinoj.tensor.Tensor;

import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * An immutable row-major n-d array of doubles with numpy's broadcasting: the language in which
 * {@link DoubleGradCheck}'s references write an op's formula, independently of the float32 tensor
 * code under test. Deliberately plain (index loops, no views, no speed): a reference must be easy to
 * read against the paper's or the textbook's formula.
 */
public final class DoubleArray {
    private final double[] data;
    private final int[] shape;

    public DoubleArray(double[] data, int... shape) {
        if (numel(shape) != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + numel(shape) + " values, not " + data.length);
        }
        this.data = data;
        this.shape = shape.clone();
    }

    /** The tensor's float32 values widened to double (exactly), in row-major order of its shape. */
    public static DoubleArray of(Tensor t) {
        float[] f = t.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return new DoubleArray(d, t.dims());
    }

    public static DoubleArray scalar(double v) {
        return new DoubleArray(new double[] {v});
    }

    public static DoubleArray zeros(int... shape) {
        return new DoubleArray(new double[numel(shape)], shape);
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int size(int dim) {
        return shape[axis(dim)];
    }

    public int numel() {
        return data.length;
    }

    /** A copy of the values in row-major order. */
    public double[] values() {
        return data.clone();
    }

    public double get(int... index) {
        return data[offset(index)];
    }

    // ------------------------------------------------------------------ elementwise, broadcasting

    public DoubleArray map(DoubleUnaryOperator f) {
        double[] o = new double[data.length];
        for (int i = 0; i < o.length; i++) o[i] = f.applyAsDouble(data[i]);
        return new DoubleArray(o, shape);
    }

    /** f applied to the broadcast pair (numpy rules: align trailing dimensions, size 1 stretches). */
    public DoubleArray zip(DoubleArray other, DoubleBinaryOperator f) {
        int[] out = broadcastShape(shape, other.shape);
        int[] sa = broadcastStrides(shape, out), sb = broadcastStrides(other.shape, out);
        double[] o = new double[numel(out)];
        int[] idx = new int[out.length];
        for (int i = 0; i < o.length; i++) {
            unravel(i, out, idx);
            o[i] = f.applyAsDouble(data[dot(idx, sa)], other.data[dot(idx, sb)]);
        }
        return new DoubleArray(o, out);
    }

    public DoubleArray add(DoubleArray o) { return zip(o, Double::sum); }
    public DoubleArray sub(DoubleArray o) { return zip(o, (a, b) -> a - b); }
    public DoubleArray mul(DoubleArray o) { return zip(o, (a, b) -> a * b); }
    public DoubleArray div(DoubleArray o) { return zip(o, (a, b) -> a / b); }
    public DoubleArray add(double s) { return map(a -> a + s); }
    public DoubleArray mul(double s) { return map(a -> a * s); }

    /** cond != 0 ? a : b, all three broadcast together. */
    public static DoubleArray where(DoubleArray cond, DoubleArray a, DoubleArray b) {
        int[] out = broadcastShape(broadcastShape(cond.shape, a.shape), b.shape);
        int[] sc = broadcastStrides(cond.shape, out), sa = broadcastStrides(a.shape, out), sb = broadcastStrides(b.shape, out);
        double[] o = new double[numel(out)];
        int[] idx = new int[out.length];
        for (int i = 0; i < o.length; i++) {
            unravel(i, out, idx);
            o[i] = cond.data[dot(idx, sc)] != 0 ? a.data[dot(idx, sa)] : b.data[dot(idx, sb)];
        }
        return new DoubleArray(o, out);
    }

    public DoubleArray expand(int... target) {
        return zip(zeros(target), (a, z) -> a);
    }

    /** The error function to about 1e-15 (Taylor series near 0, continued fraction of erfc beyond). */
    public static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 2.5) {
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * sum; n++) {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            return Math.copySign(2 / Math.sqrt(Math.PI) * sum, x);
        }
        // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), Lentz's method
        double tiny = 1e-300, f = ax, c = ax, d = 0;
        for (int n = 1; n < 500; n++) {
            double an = n / 2.0;
            d = ax + an * d;
            d = Math.abs(d) < tiny ? tiny : d;
            c = ax + an / c;
            c = Math.abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        double erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        return Math.copySign(1 - erfc, x);
    }

    // ------------------------------------------------------------------ linear algebra and row ops

    /**
     * log |det A| of each matrix of [..., n, n] by Gaussian elimination with partial pivoting: a reference for
     * log-determinants that shares nothing with a Cholesky factorisation. Shape [...].
     */
    public DoubleArray logAbsDet() {
        int n = size(-1), batch = numel() / Math.max(1, n * n);
        double[] out = new double[batch];
        for (int b = 0; b < batch; b++) {
            double[] m = Arrays.copyOfRange(data, b * n * n, (b + 1) * n * n);
            for (int c = 0; c < n; c++) {
                int p = c;
                for (int i = c + 1; i < n; i++) if (Math.abs(m[i * n + c]) > Math.abs(m[p * n + c])) p = i;
                for (int j = 0; j < n; j++) {
                    double t = m[c * n + j];
                    m[c * n + j] = m[p * n + j];
                    m[p * n + j] = t;
                }
                out[b] += Math.log(Math.abs(m[c * n + c]));
                for (int i = c + 1; i < n; i++) {
                    double f = m[i * n + c] / m[c * n + c];
                    for (int j = c; j < n; j++) m[i * n + j] -= f * m[c * n + j];
                }
            }
        }
        return new DoubleArray(out, Arrays.copyOf(shape, rank() - 2));
    }

    /** Batched matrix product over the last two dimensions; batch dimensions broadcast. */
    public DoubleArray matmul(DoubleArray b) {
        if (rank() < 2 || b.rank() < 2 || size(-1) != b.size(-2)) {
            throw new IllegalArgumentException("matmul of " + Arrays.toString(shape) + " and " + Arrays.toString(b.shape));
        }
        int m = size(-2), k = size(-1), n = b.size(-1);
        int[] batch = broadcastShape(Arrays.copyOf(shape, rank() - 2), Arrays.copyOf(b.shape, b.rank() - 2));
        int[] out = Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = m;
        out[batch.length + 1] = n;
        int[] sa = broadcastStrides(Arrays.copyOf(shape, rank() - 2), batch), sb = broadcastStrides(Arrays.copyOf(b.shape, b.rank() - 2), batch);
        double[] o = new double[numel(out)];
        int[] idx = new int[batch.length];
        for (int p = 0, batches = numel(batch); p < batches; p++) {
            unravel(p, batch, idx);
            int ao = dot(idx, sa) * m * k, bo = dot(idx, sb) * k * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int t = 0; t < k; t++) s += data[ao + i * k + t] * b.data[bo + t * n + j];
                    o[p * m * n + i * n + j] = s;
                }
            }
        }
        return new DoubleArray(o, out);
    }

    /** softmax(x / temperature) along the last dimension. */
    public DoubleArray softmax(double temperature) {
        return rows((in, out) -> {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (double v : in) max = Math.max(max, v / temperature);
            for (int i = 0; i < in.length; i++) sum += out[i] = Math.exp(in[i] / temperature - max);
            for (int i = 0; i < in.length; i++) out[i] /= sum;
        });
    }

    /** log softmax(x / temperature) along the last dimension. */
    public DoubleArray logSoftmax(double temperature) {
        return rows((in, out) -> {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (double v : in) max = Math.max(max, v / temperature);
            for (double v : in) sum += Math.exp(v / temperature - max);
            double lse = max + Math.log(sum);
            for (int i = 0; i < in.length; i++) out[i] = in[i] / temperature - lse;
        });
    }

    /** (x - mean) / sqrt(biased variance + eps) along the last dimension, then * weight + bias (either may be null). */
    public DoubleArray layerNorm(DoubleArray weight, DoubleArray bias, double eps) {
        DoubleArray y = rows((in, out) -> {
            double mean = 0, var = 0;
            for (double v : in) mean += v;
            mean /= in.length;
            for (double v : in) var += (v - mean) * (v - mean);
            var /= in.length;
            for (int i = 0; i < in.length; i++) out[i] = (in[i] - mean) / Math.sqrt(var + eps);
        });
        if (weight != null) y = y.mul(weight);
        if (bias != null) y = y.add(bias);
        return y;
    }

    private interface RowFunction {
        void apply(double[] in, double[] out);
    }

    private DoubleArray rows(RowFunction f) {
        int c = size(-1);
        double[] o = new double[data.length], in = new double[c], out = new double[c];
        for (int r = 0; r < data.length / c; r++) {
            System.arraycopy(data, r * c, in, 0, c);
            f.apply(in, out);
            System.arraycopy(out, 0, o, r * c, c);
        }
        return new DoubleArray(o, shape);
    }

    // ------------------------------------------------------------------ reductions

    public DoubleArray sum(int[] dims, boolean keepdim) {
        return reduce(dims, keepdim, 0, Double::sum);
    }

    public double sum() {
        double s = 0;
        for (double v : data) s += v;
        return s;
    }

    public DoubleArray mean(int[] dims, boolean keepdim) {
        int count = 1;
        for (int d : dims) count *= size(d);
        return sum(dims, keepdim).mul(1.0 / count);
    }

    public DoubleArray max(int dim, boolean keepdim) {
        return reduce(new int[] {dim}, keepdim, Double.NEGATIVE_INFINITY, Math::max);
    }

    /** The L2 norm over dims. */
    public DoubleArray norm(int[] dims, boolean keepdim) {
        return map(v -> v * v).sum(dims, keepdim).map(Math::sqrt);
    }

    private DoubleArray reduce(int[] dims, boolean keepdim, double init, DoubleBinaryOperator f) {
        boolean[] reduced = new boolean[rank()];
        for (int d : dims) reduced[axis(d)] = true;
        int[] kept = shape.clone();
        for (int d = 0; d < rank(); d++) if (reduced[d]) kept[d] = 1;
        double[] o = new double[numel(kept)];
        Arrays.fill(o, init);
        int[] idx = new int[rank()], keptStrides = stridesOf(kept);
        for (int i = 0; i < data.length; i++) {
            unravel(i, shape, idx);
            int t = 0;
            for (int d = 0; d < rank(); d++) if (!reduced[d]) t += idx[d] * keptStrides[d];
            o[t] = f.applyAsDouble(o[t], data[i]);
        }
        if (keepdim) return new DoubleArray(o, kept);
        return new DoubleArray(o, Arrays.stream(range(rank())).filter(d -> !reduced[d]).map(d -> shape[d]).toArray());
    }

    // ------------------------------------------------------------------ views, joins, indexing (all copies)

    public DoubleArray reshape(int... dims) {
        return new DoubleArray(data, dims);
    }

    public DoubleArray permute(int... order) {
        int[] out = new int[rank()];
        for (int d = 0; d < rank(); d++) out[d] = shape[axis(order[d])];
        int[] src = stridesOf(shape), idx = new int[rank()];
        double[] o = new double[data.length];
        for (int i = 0; i < o.length; i++) {
            unravel(i, out, idx);
            int off = 0;
            for (int d = 0; d < rank(); d++) off += idx[d] * src[axis(order[d])];
            o[i] = data[off];
        }
        return new DoubleArray(o, out);
    }

    public DoubleArray transpose(int d0, int d1) {
        int[] order = range(rank());
        order[axis(d0)] = axis(d1);
        order[axis(d1)] = axis(d0);
        return permute(order);
    }

    /** Entries index[0..n) along dim (numpy's take). */
    public DoubleArray indexSelect(int dim, int... index) {
        int a = axis(dim);
        int[] out = shape.clone();
        out[a] = index.length;
        int[] idx = new int[rank()];
        double[] o = new double[numel(out)];
        for (int i = 0; i < o.length; i++) {
            unravel(i, out, idx);
            idx[a] = index[idx[a]];
            o[i] = data[offset(idx)];
        }
        return new DoubleArray(o, out);
    }

    public DoubleArray narrow(int dim, int start, int length) {
        return indexSelect(dim, Arrays.stream(range(length)).map(i -> start + i).toArray());
    }

    public DoubleArray select(int dim, int index) {
        int a = axis(dim);
        int[] out = new int[rank() - 1];
        for (int d = 0, j = 0; d < rank(); d++) if (d != a) out[j++] = shape[d];
        return indexSelect(a, index).reshape(out);
    }

    /** out[..., i, ...] = this[..., index[..., i, ...], ...] along dim (torch.gather); index has out's shape. */
    public DoubleArray gather(int dim, int[] index, int... indexShape) {
        int a = axis(dim);
        int[] idx = new int[rank()];
        double[] o = new double[index.length];
        for (int i = 0; i < o.length; i++) {
            unravel(i, indexShape, idx);
            idx[a] = index[i];
            o[i] = data[offset(idx)];
        }
        return new DoubleArray(o, indexShape);
    }

    public static DoubleArray cat(int dim, DoubleArray... parts) {
        int a = parts[0].axis(dim);
        int[] out = parts[0].shape.clone();
        out[a] = Arrays.stream(parts).mapToInt(p -> p.shape[a]).sum();
        int[] idx = new int[out.length];
        double[] o = new double[numel(out)];
        for (int i = 0; i < o.length; i++) {
            unravel(i, out, idx);
            int part = 0, at = idx[a];
            while (at >= parts[part].shape[a]) at -= parts[part++].shape[a];
            int[] local = idx.clone();
            local[a] = at;
            o[i] = parts[part].data[parts[part].offset(local)];
        }
        return new DoubleArray(o, out);
    }

    // ------------------------------------------------------------------ index arithmetic

    private int axis(int dim) {
        int a = dim < 0 ? dim + rank() : dim;
        if (a < 0 || a >= rank()) throw new IllegalArgumentException("dimension " + dim + " of a rank-" + rank() + " array");
        return a;
    }

    private int offset(int[] index) {
        return dot(index, stridesOf(shape));
    }

    private static int numel(int[] shape) {
        int n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }

    private static int[] stridesOf(int[] shape) {
        int[] s = new int[shape.length];
        for (int d = shape.length - 1, st = 1; d >= 0; d--) {
            s[d] = st;
            st *= shape[d];
        }
        return s;
    }

    private static void unravel(int flat, int[] shape, int[] idx) {
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
    }

    private static int dot(int[] idx, int[] strides) {
        int s = 0;
        for (int d = 0; d < idx.length; d++) s += idx[d] * strides[d];
        return s;
    }

    private static int[] broadcastShape(int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int d = 0; d < n; d++) {
            int x = d - (n - a.length) >= 0 ? a[d - (n - a.length)] : 1;
            int y = d - (n - b.length) >= 0 ? b[d - (n - b.length)] : 1;
            if (x != y && x != 1 && y != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            }
            out[d] = Math.max(x, y);
        }
        return out;
    }

    /** Strides of shape read as out (aligned at the end): 0 along stretched and missing dimensions. */
    private static int[] broadcastStrides(int[] shape, int[] out) {
        int[] own = stridesOf(shape), s = new int[out.length];
        for (int d = 0; d < shape.length; d++) {
            int o = d + out.length - shape.length;
            s[o] = shape[d] == 1 && out[o] != 1 ? 0 : own[d];
        }
        return s;
    }
}
