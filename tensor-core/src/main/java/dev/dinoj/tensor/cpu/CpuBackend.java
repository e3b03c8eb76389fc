package dev.dinoj.tensor.cpu;

import dev.dinoj.tensor.Backend;
import dev.dinoj.tensor.BinaryOp;
import dev.dinoj.tensor.DType;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Philox;
import dev.dinoj.tensor.RandomDistribution;
import dev.dinoj.tensor.ReduceOp;
import dev.dinoj.tensor.Storage;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.UnaryOp;

import static dev.dinoj.tensor.cpu.ElementwiseKernels.f;
import static dev.dinoj.tensor.cpu.ElementwiseKernels.i;

/** The pure-Java, multi-threaded backend of {@link Device#CPU} (threads: {@link Parallel}). */
public final class CpuBackend implements Backend {
    private static final CpuBackend INSTANCE = new CpuBackend();

    private CpuBackend() {}

    public static CpuBackend instance() {
        return INSTANCE;
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public Storage allocate(DType dtype, long numel) {
        if (numel > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("cpu: cannot allocate " + numel + " elements");
        return new CpuStorage(dtype, (int) numel);
    }

    /** A contiguous tensor with the same values (itself when already contiguous). */
    private static Tensor dense(Tensor t) {
        return t.isContiguous() ? t : t.copy();
    }

    /** A contiguous tensor of the given shape over a caller's array (no copy). */
    private static Tensor over(CpuStorage array, dev.dinoj.tensor.Shape shape) {
        return Tensor.of(array, shape, shape.contiguousStrides(), 0);
    }

    @Override
    public void write(Tensor dst, float[] src) {
        copy(over(CpuStorage.wrap(src), dst.shape()), dst);
    }

    @Override
    public void write(Tensor dst, int[] src) {
        copy(over(CpuStorage.wrap(src), dst.shape()), dst);
    }

    @Override
    public float[] readFloats(Tensor src) {
        float[] out = new float[(int) src.numel()];
        copy(src, over(CpuStorage.wrap(out), src.shape()));
        return out;
    }

    @Override
    public int[] readInts(Tensor src) {
        int[] out = new int[(int) src.numel()];
        copy(src, over(CpuStorage.wrap(out), src.shape()));
        return out;
    }

    @Override
    public void fill(Tensor out, double value) {
        ElementwiseKernels.fill(out, value);
    }

    @Override
    public void copy(Tensor src, Tensor out) {
        if (out.numel() > 0) ElementwiseKernels.copy(src, out);
    }

    @Override
    public void unary(UnaryOp op, Tensor x, float a, float b, Tensor out) {
        if (out.numel() > 0) ElementwiseKernels.unary(op, x, a, b, out);
    }

    @Override
    public void binary(BinaryOp op, Tensor x, Tensor y, Tensor out) {
        if (out.numel() > 0) ElementwiseKernels.binary(op, x, y, out);
    }

    @Override
    public void linearCombination(float alpha, Tensor x, float beta, Tensor y, Tensor out) {
        if (out.numel() > 0) ElementwiseKernels.linearCombination(alpha, x, beta, y, out);
    }

    @Override
    public void where(Tensor cond, Tensor x, Tensor y, Tensor out) {
        if (out.numel() > 0) ElementwiseKernels.where(cond, x, y, out);
    }

    @Override
    public void reduce(ReduceOp op, Tensor x, int[] dims, int correction, Tensor out) {
        if (out.numel() > 0) ReductionKernels.reduce(op, x, dims, correction, out);
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        int r = out.rank();
        int m = out.size(-2), n = out.size(-1), k = a.size(-1);
        int batches = (int) (out.numel() / Math.max(1, (long) m * n));
        if (out.numel() == 0) return;
        int[] as = a.strides(), bs = b.strides();
        float[] av = f(a), bv = f(b), cv = f(out);
        int ars = as[r - 2], acs = as[r - 1], brs = bs[r - 2], bcs = bs[r - 1];
        int[] batchDims = java.util.Arrays.copyOf(out.dims(), r - 2);
        long work = 2L * m * n * k;
        // Many small products (attention heads): one product per task. One big product: split its rows.
        boolean perBatch = batches >= Parallel.threads() && work < 64L * 64 * 64 * 8;
        java.util.function.IntConsumer one = t -> {
            int ao = a.offset(), bo = b.offset(), rem = t;
            for (int d = r - 3; d >= 0; d--) {
                int idx = rem % batchDims[d];
                rem /= batchDims[d];
                ao += idx * as[d];
                bo += idx * bs[d];
            }
            Gemm.multiply(m, n, k, av, ao, ars, acs, bv, bo, brs, bcs, cv, out.offset() + t * m * n, n, false, !perBatch);
        };
        if (perBatch) {
            Parallel.forRange(batches, 1, work, (s, e) -> {
                for (int t = s; t < e; t++) one.accept(t);
            });
        } else {
            for (int t = 0; t < batches; t++) one.accept(t);
        }
    }

    @Override
    public void matmulBias(Tensor a, Tensor b, Tensor bias, Tensor out) {
        int m = out.size(0), n = out.size(1), k = a.size(1);
        if (out.numel() == 0) return;
        int[] as = a.strides(), bs = b.strides();
        Tensor bd = dense(bias);
        Gemm.multiplyBias(m, n, k, f(a), a.offset(), as[0], as[1], f(b), b.offset(), bs[0], bs[1], f(out), out.offset(), n,
                f(bd), bd.offset(), true);
    }

    @Override
    public void softmax(Tensor x, float temperature, boolean log, Tensor out) {
        Tensor xd = dense(x);
        int cols = x.size(-1);
        int rows = (int) (x.numel() / cols);
        SoftmaxKernels.softmax(slice(xd), f(out), rows, cols, temperature, log);
    }

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out, Tensor mean, Tensor rstd) {
        Tensor xd = dense(x);
        int cols = x.size(-1);
        int rows = (int) (x.numel() / cols);
        Tensor w = weight == null ? null : dense(weight), b = bias == null ? null : dense(bias);
        LayerNormKernels.layerNorm(slice(xd), w == null ? null : f(w), w == null ? 0 : w.offset(), b == null ? null : f(b),
                b == null ? 0 : b.offset(), eps, f(out), f(mean), f(rstd), rows, cols);
    }

    @Override
    public void batchNorm(Tensor x, Tensor weight, Tensor bias, float eps, boolean relu, Tensor out, Tensor mean, Tensor var, Tensor rstd) {
        BatchNormKernels.forward(f(x), x.offset(), x.size(0), x.size(1), weight == null ? null : f(weight), weight == null ? 0 : weight.offset(),
                bias == null ? null : f(bias), bias == null ? 0 : bias.offset(), eps, relu, f(out), out.offset(), f(mean), mean.offset(),
                f(var), var.offset(), f(rstd), rstd.offset());
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor weight, Tensor bias, Tensor mean, Tensor rstd, boolean relu, Tensor gradOut, Tensor gradX,
                                  Tensor gradWeight, Tensor gradBias) {
        BatchNormKernels.backward(f(x), x.offset(), f(gradOut), gradOut.offset(), x.size(0), x.size(1), weight == null ? null : f(weight),
                weight == null ? 0 : weight.offset(), bias == null ? null : f(bias), bias == null ? 0 : bias.offset(), f(mean), mean.offset(),
                f(rstd), rstd.offset(), relu, f(gradX), gradX.offset(), gradWeight == null ? null : f(gradWeight),
                gradWeight == null ? 0 : gradWeight.offset(), gradBias == null ? null : f(gradBias), gradBias == null ? 0 : gradBias.offset());
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor g, float temperature, boolean log, Tensor out) {
        int cols = y.size(-1);
        int rows = (int) (y.numel() / cols);
        SoftmaxKernels.softmaxBackward(slice(y), slice(g), f(out), rows, cols, temperature, log);
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gradOut, Tensor gradX, Tensor gradWeight,
                                  Tensor gradBias) {
        int cols = x.size(-1);
        int rows = (int) (x.numel() / cols);
        LayerNormKernels.layerNormBackward(slice(x), weight == null ? null : slice(weight), slice(mean), slice(rstd), slice(gradOut), f(gradX),
                gradWeight == null ? null : f(gradWeight), gradBias == null ? null : f(gradBias), rows, cols);
    }

    /** The elements of a contiguous tensor as an array starting at index 0 (copies only when offset != 0). */
    private static float[] slice(Tensor t) {
        float[] a = f(t);
        if (t.offset() == 0) return a;
        return java.util.Arrays.copyOfRange(a, t.offset(), t.offset() + (int) t.numel());
    }

    @Override
    public void resizeBicubic(Tensor x, boolean alignCorners, double scaleH, double scaleW, Tensor out) {
        Tensor xd = dense(x);
        BicubicResize.resize(slice(xd), x.size(0) * x.size(1), x.size(2), x.size(3), f(out), out.size(2), out.size(3),
                alignCorners, scaleH, scaleW);
    }

    @Override
    public void random(RandomDistribution dist, long seed, long offset, float a, float b, Tensor out) {
        float[] o = f(out);
        int base = out.offset();
        int n = (int) out.numel();
        int perBlock = 4 / dist.wordsPerElement();
        int blocks = (n + perBlock - 1) / perBlock;
        Parallel.forRange(blocks, 256, 30, (s, e) -> {
            int[] w = new int[4];
            for (int blk = s; blk < e; blk++) {
                Philox.block(seed, offset + blk, w);
                for (int q = 0; q < perBlock; q++) {
                    int idx = blk * perBlock + q;
                    if (idx >= n) break;
                    float v;
                    switch (dist) {
                        case UNIFORM: v = a + (b - a) * Philox.uniform(w[q]); break;
                        case NORMAL: v = a + b * Philox.normal(w[2 * q], w[2 * q + 1]); break;
                        case BERNOULLI: v = Philox.uniform(w[q]) < a ? 1f : 0f; break;
                        default: throw new AssertionError(dist);
                    }
                    o[base + idx] = v;
                }
            }
        });
    }

    @Override
    public void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        int[] idx = checkedIndices("indexSelect", index, x, dim, "input");
        int n = x.size(dim);
        if (!x.isContiguous() || !out.isContiguous() || x.dtype() != DType.FLOAT32) {
            for (int j = 0; j < idx.length; j++) copy(x.narrow(dim, idx[j], 1), out.narrow(dim, j, 1));
            return;
        }
        // contiguous floats: whole inner rows, (outer, j) pairs spread over the threads
        int outer = outerSize(x, dim), inner = innerSize(x, dim), m = idx.length;
        float[] xv = f(x), ov = f(out);
        int xo = x.offset(), oo = out.offset();
        Parallel.forRange(outer * m, Math.max(1, 4096 / Math.max(1, inner)), inner, (s, e) -> {
            for (int t = s; t < e; t++) {
                int o = t / m, j = t % m;
                System.arraycopy(xv, xo + (o * n + idx[j]) * inner, ov, oo + t * inner, inner);
            }
        });
    }

    @Override
    public void indexAdd(Tensor src, int dim, Tensor index, Tensor out) {
        if (!src.isContiguous() || !out.isContiguous()) {
            Backend.super.indexAdd(src, dim, index, out);
            return;
        }
        int[] idx = checkedIndices("indexAdd", index, out, dim, "output");
        int n = out.size(dim);
        // each outer slice is written by one thread, and within it the j run in order, so every output
        // element sums its contributions in index order, as a serial scatter would
        int outer = outerSize(out, dim), inner = innerSize(out, dim), m = idx.length;
        float[] sv = f(src), ov = f(out);
        int so = src.offset(), oo = out.offset();
        Parallel.forRange(outer, 1, (long) m * inner, (s, e) -> {
            for (int o = s; o < e; o++) {
                for (int j = 0; j < m; j++) {
                    int d = oo + (o * n + idx[j]) * inner, q = so + (o * m + j) * inner;
                    for (int i = 0; i < inner; i++) ov[d + i] += sv[q + i];
                }
            }
        });
    }

    @Override
    public int[] cholesky(Tensor a, Tensor out) {
        int n = a.size(-1);
        return CholeskyKernels.factor(f(a), a.offset(), f(out), out.offset(), (int) (a.numel() / ((long) n * n)), n);
    }

    @Override
    public void triangularSolve(Tensor l, Tensor b, boolean transpose, Tensor out) {
        int n = l.size(-1);
        if (f(b) == f(out)) b = b.copy(); // the solve reads rows of B after writing rows of X
        CholeskyKernels.solve(f(l), l.offset(), f(b), b.offset(), f(out), out.offset(), (int) (l.numel() / ((long) n * n)), n, b.size(-1), transpose);
    }

    /** The int32 vector index, each entry checked to lie within t's dimension dim. */
    private int[] checkedIndices(String op, Tensor index, Tensor t, int dim, String role) {
        int[] idx = readInts(index);
        int n = t.size(dim);
        for (int j = 0; j < idx.length; j++) {
            if (idx[j] < 0 || idx[j] >= n) {
                throw new IllegalArgumentException(op + ": index " + idx[j] + " at position " + j + " is out of range for dimension " + dim
                        + " of size " + n + " (" + role + " shape " + t.shape() + ")");
            }
        }
        return idx;
    }

    private static int outerSize(Tensor t, int dim) {
        int p = 1;
        for (int d = 0; d < dim; d++) p *= t.size(d);
        return p;
    }

    private static int innerSize(Tensor t, int dim) {
        int p = 1;
        for (int d = dim + 1; d < t.rank(); d++) p *= t.size(d);
        return p;
    }

    @Override
    public void gather(Tensor x, int dim, Tensor index, Tensor out) {
        scatterOrGather(x, dim, index, out, true);
    }

    @Override
    public void scatterAdd(Tensor src, int dim, Tensor index, Tensor out) {
        scatterOrGather(out, dim, index, src, false);
    }

    /** gather: small[pos] = big[pos with dim replaced by index[pos]]; scatter-add: the reverse, summed. */
    private static void scatterOrGather(Tensor big, int dim, Tensor index, Tensor small, boolean gather) {
        int[] idx = INSTANCE.readInts(index);
        int[] shape = index.dims();
        int[] bs = big.strides(), ss = small.strides();
        float[] bv = f(big), sv = f(small);
        int n = big.size(dim);
        int[] pos = new int[shape.length];
        for (int lin = 0; lin < idx.length; lin++) {
            int v = idx[lin];
            if (v < 0 || v >= n) {
                throw new IllegalArgumentException((gather ? "gather" : "scatterAdd") + ": index " + v + " is out of range for dimension "
                        + dim + " of size " + n + " (input shape " + big.shape() + ")");
            }
            int bo = big.offset(), so = small.offset();
            for (int d = 0; d < shape.length; d++) {
                bo += (d == dim ? v : pos[d]) * bs[d];
                so += pos[d] * ss[d];
            }
            if (gather) sv[so] = bv[bo];
            else bv[bo] += sv[so];
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++pos[d] < shape[d]) break;
                pos[d] = 0;
            }
        }
    }

    @Override
    public void adamw(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, float lr, float beta1, float beta2, float eps,
                      float weightDecay, int step) {
        float[] p = f(param), g = f(grad), m = f(expAvg), v = f(expAvgSq);
        int po = param.offset(), go = grad.offset(), mo = expAvg.offset(), vo = expAvgSq.offset();
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1), invSqrtBc2 = (float) (1 / Math.sqrt(bc2)), decay = 1f - lr * weightDecay;
        float b1 = beta1, b2 = beta2, c1 = 1f - beta1, c2 = 1f - beta2;
        Parallel.forRange((int) param.numel(), 4096, 8, (s, e) -> {
            for (int i = s; i < e; i++) {
                float gi = g[go + i];
                float mi = b1 * m[mo + i] + c1 * gi;
                float vi = b2 * v[vo + i] + c2 * gi * gi;
                m[mo + i] = mi;
                v[vo + i] = vi;
                p[po + i] = p[po + i] * decay - stepSize * mi / ((float) Math.sqrt(vi) * invSqrtBc2 + eps);
            }
        });
    }
}
