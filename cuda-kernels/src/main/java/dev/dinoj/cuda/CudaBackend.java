package dev.dinoj.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.cublasSgemmStridedBatched;

import dev.dinoj.tensor.Attention;
import dev.dinoj.tensor.Backend;
import dev.dinoj.tensor.BinaryOp;
import dev.dinoj.tensor.Convolution;
import dev.dinoj.tensor.DType;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.MultiTensorOps;
import dev.dinoj.tensor.RandomDistribution;
import dev.dinoj.tensor.ReduceOp;
import dev.dinoj.tensor.Storage;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.UnaryOp;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * tensor-core's op set on one GPU: strided elementwise and reduction kernels, cuBLAS for matmul and
 * the row kernels of native/ (softmax, LayerNorm), all ordered on the context's one stream. Inputs a
 * kernel needs dense are copied to a contiguous temporary, which is closed (its memory back in the
 * cache) before the method returns.
 */
public final class CudaBackend implements Backend {
    private static final int THREADS = 256;
    private final Device device;
    private final CudaContext ctx;
    private final FloatPointer one = new FloatPointer(1f), zero = new FloatPointer(0f);

    private final Attention attention;
    private final MultiTensorOps multiTensor;
    private final CudaLinearAlgebra linearAlgebra;
    private final Cudnn cudnn;
    private final Convolution convolution;
    private final CudnnBatchNorm batchNorm;

    CudaBackend(Device device, CudaContext ctx) {
        this.device = device;
        this.ctx = ctx;
        CudaKernels kernels = CudaKernels.over(this); // reads only device and ctx, set above
        this.attention = new CudaAttention(kernels);
        this.multiTensor = new CudaMultiTensorOps(kernels);
        this.linearAlgebra = new CudaLinearAlgebra(ctx, this);
        this.cudnn = new Cudnn(ctx);
        this.convolution = new CudnnConvolution(ctx, cudnn);
        this.batchNorm = new CudnnBatchNorm(ctx, cudnn);
    }

    public CudaContext context() {
        return ctx;
    }

    /** The fused attention kernels of attention.cu (head dims 32, 64, 128). */
    @Override
    public Attention attention() {
        return attention;
    }

    /** cuDNN's convolution where libcudnn loads, the reference (im2col + GEMM) elsewhere; see {@link CudnnConvolution}. */
    @Override
    public Convolution convolution() {
        return convolution;
    }

    /**
     * Which path convolution and batch norm take on this device: "cuDNN 9.x.y", or "reference ops
     * (cuDNN unavailable: why)". Loads cuDNN if nothing has yet.
     */
    public String cudnnStatus() {
        return cudnn.describe();
    }

    @Override
    public MultiTensorOps multiTensor() {
        return multiTensor;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public Storage allocate(DType dtype, long numel) {
        CudaStorage storage = new CudaStorage(device, dtype, numel, ctx.allocator());
        if (POISON && numel > 0 && numel <= Integer.MAX_VALUE) {
            // NaN in every new buffer (reused cache blocks too), so a kernel that leaves an output element unwritten fails a test
            synchronized (ctx) {
                ctx.args().ptr(storage.address()).strides(new int[] {1}).shape(new int[] {(int) numel}).i64(numel).f32(Float.NaN);
                ctx.launch(KernelCatalog.EW_FILL_F32, grid(numel), 1, THREADS, 0);
            }
        }
        return storage;
    }

    /** {@code -Ddinoj.cuda.poison=true}: new device buffers are filled with NaN (as dinoj.cpu.poison on the CPU); for tests. */
    static final boolean POISON = Boolean.getBoolean("dinoj.cuda.poison");

    /** The device address of a tensor's first element. */
    static long addr(Tensor t) {
        return ((CudaStorage) t.storage()).address() + 4L * t.offset();
    }

    private static long grid(long n) {
        return Math.max(1, Math.min((n + THREADS - 1) / THREADS, 65535L * 8));
    }

    // ------------------------------------------------------------------ transfers

    @Override
    public void write(Tensor dst, float[] src) {
        writeThrough(dst, DType.FLOAT32, at -> ctx.upload(at, src, 0, src.length));
    }

    @Override
    public void write(Tensor dst, int[] src) {
        writeThrough(dst, DType.INT32, at -> ctx.upload(at, src, 0, src.length));
    }

    @Override
    public float[] readFloats(Tensor src) {
        float[] out = new float[(int) src.numel()];
        readThrough(src, at -> ctx.download(at, out, 0, out.length));
        return out;
    }

    @Override
    public int[] readInts(Tensor src) {
        int[] out = new int[(int) src.numel()];
        readThrough(src, at -> ctx.download(at, out, 0, out.length));
        return out;
    }

    /** Uploads into dst directly when it is contiguous, else into a dense temporary copied into the view. */
    private void writeThrough(Tensor dst, DType type, LongConsumer upload) {
        if (dst.isContiguous()) {
            upload.accept(addr(dst));
            return;
        }
        try (Tensor tmp = Tensor.empty(dst.shape(), type, device)) {
            upload.accept(addr(tmp));
            copy(tmp, dst);
        }
    }

    /** Downloads src directly when it is contiguous, else through a dense copy. */
    private void readThrough(Tensor src, LongConsumer download) {
        if (src.isContiguous()) {
            download.accept(addr(src));
            return;
        }
        try (Tensor tmp = Tensor.empty(src.shape(), src.dtype(), device)) {
            copy(src, tmp);
            download.accept(addr(tmp));
        }
    }

    // ------------------------------------------------------------------ elementwise

    @Override
    public void fill(Tensor out, double value) {
        StridedLayout l = StridedLayout.of(out.dims(), out.strides());
        synchronized (ctx) {
            KernelArgs a = ctx.args().ptr(addr(out)).strides(l.strides[0]).shape(l.sizes).i64(l.numel);
            if (out.dtype() == DType.INT32) a.i32((int) value);
            else a.f32((float) value);
            ctx.launch(out.dtype() == DType.INT32 ? KernelCatalog.EW_FILL_I32 : KernelCatalog.EW_FILL_F32, grid(l.numel), 1, THREADS, 0);
        }
    }

    @Override
    public void copy(Tensor src, Tensor out) {
        StridedLayout l = StridedLayout.of(out.dims(), src.strides(), out.strides());
        synchronized (ctx) {
            ctx.args().ptr(addr(src)).i32(src.dtype().ordinal()).strides(l.strides[0]).ptr(addr(out)).i32(out.dtype().ordinal())
                    .strides(l.strides[1]).shape(l.sizes).i64(l.numel);
            ctx.launch(KernelCatalog.EW_COPY, grid(l.numel), 1, THREADS, 0);
        }
    }

    @Override
    public void unary(UnaryOp op, Tensor x, float a, float b, Tensor out) {
        StridedLayout l = StridedLayout.of(out.dims(), x.strides(), out.strides());
        synchronized (ctx) {
            ctx.args().i32(op.ordinal()).f32(a).f32(b).ptr(addr(x)).strides(l.strides[0]).ptr(addr(out)).strides(l.strides[1])
                    .shape(l.sizes).i64(l.numel);
            ctx.launch(KernelCatalog.EW_UNARY, grid(l.numel), 1, THREADS, 0);
        }
    }

    @Override
    public void binary(BinaryOp op, Tensor x, Tensor y, Tensor out) {
        StridedLayout l = StridedLayout.of(out.dims(), x.strides(), y.strides(), out.strides());
        synchronized (ctx) {
            ctx.args().i32(op.ordinal()).ptr(addr(x)).strides(l.strides[0]).ptr(addr(y)).strides(l.strides[1]).ptr(addr(out))
                    .strides(l.strides[2]).shape(l.sizes).i64(l.numel);
            ctx.launch(KernelCatalog.EW_BINARY, grid(l.numel), 1, THREADS, 0);
        }
    }

    @Override
    public void linearCombination(float alpha, Tensor x, float beta, Tensor y, Tensor out) {
        StridedLayout l = StridedLayout.of(out.dims(), x.strides(), y.strides(), out.strides());
        synchronized (ctx) {
            ctx.args().f32(alpha).ptr(addr(x)).strides(l.strides[0]).f32(beta).ptr(addr(y)).strides(l.strides[1]).ptr(addr(out))
                    .strides(l.strides[2]).shape(l.sizes).i64(l.numel);
            ctx.launch(KernelCatalog.EW_LINEAR_COMBINATION, grid(l.numel), 1, THREADS, 0);
        }
    }

    @Override
    public void where(Tensor cond, Tensor x, Tensor y, Tensor out) {
        StridedLayout l = StridedLayout.of(out.dims(), cond.strides(), x.strides(), y.strides(), out.strides());
        synchronized (ctx) {
            ctx.args().ptr(addr(cond)).strides(l.strides[0]).ptr(addr(x)).strides(l.strides[1]).ptr(addr(y)).strides(l.strides[2])
                    .ptr(addr(out)).strides(l.strides[3]).shape(l.sizes).i64(l.numel);
            ctx.launch(KernelCatalog.EW_WHERE, grid(l.numel), 1, THREADS, 0);
        }
    }

    // ------------------------------------------------------------------ reductions

    @Override
    public void reduce(ReduceOp op, Tensor x, int[] dims, int correction, Tensor out) {
        int rank = x.rank();
        boolean[] reduced = new boolean[rank];
        for (int d : dims) reduced[d] = true;
        List<Integer> outer = new ArrayList<>(), inner = new ArrayList<>();
        for (int d = 0; d < rank; d++) (reduced[d] ? inner : outer).add(d);
        int[] outerShape = pick(x.dims(), outer), innerShape = pick(x.dims(), inner);
        StridedLayout o = StridedLayout.of(outerShape, pick(x.strides(), outer), pick(out.strides(), outer));
        StridedLayout in = StridedLayout.of(innerShape, pick(x.strides(), inner));
        if (in.numel == 0) throw new IllegalArgumentException("cuda: reduction " + op + " over an empty set of elements");
        synchronized (ctx) {
            ctx.args().i32(op.ordinal()).ptr(addr(x)).shape(o.sizes).strides(o.strides[0]).shape(in.sizes).strides(in.strides[0])
                    .i64(in.numel).i32(correction).ptr(addr(out)).strides(o.strides[1]);
            ctx.launch(KernelCatalog.REDUCE_F32, o.numel, 1, THREADS, 0);
        }
    }

    private static int[] pick(int[] values, List<Integer> dims) {
        int[] r = new int[dims.size()];
        for (int i = 0; i < r.length; i++) r[i] = values[dims.get(i)];
        return r;
    }

    // ------------------------------------------------------------------ matmul

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        int rank = out.rank();
        int m = out.size(rank - 2), n = out.size(rank - 1), k = a.size(a.rank() - 1);
        if (out.numel() == 0) return; // m, n or a batch dimension is 0: nothing to write (and no m * n to divide by)
        if (k == 0) {
            fill(out, 0);
            return;
        }
        List<Tensor> temps = new ArrayList<>();
        try {
            Operand ao = operand(a, m, k, temps), bo = operand(b, k, n, temps);
            int batch = (int) (out.numel() / ((long) m * n));
            String call = "cublasSgemmStridedBatched(" + m + "x" + k + " * " + k + "x" + n + ", batch " + batch + ")";
            // row-major C = A B is column-major C^T = B^T A^T: cuBLAS computes (n x m) = (n x k)(k x m)
            synchronized (ctx) {
                ctx.makeCurrent();
                Driver.checkBlas(cublasSgemmStridedBatched(ctx.blas(), bo.op, ao.op, n, m, k, one, device(bo.address), bo.ld,
                        bo.batchStride, device(ao.address), ao.ld, ao.batchStride, zero, device(addr(out)), n, (long) m * n, batch), call);
                ctx.checkNow(call);
            }
        } finally {
            for (Tensor t : temps) t.close();
        }
    }

    /** cuSOLVER's potrf per matrix; see {@link CudaLinearAlgebra}. */
    @Override
    public int[] cholesky(Tensor a, Tensor out) {
        return linearAlgebra.cholesky(a, out);
    }

    /** cuBLAS's trsm per matrix; see {@link CudaLinearAlgebra}. */
    @Override
    public void triangularSolve(Tensor l, Tensor b, boolean transpose, Tensor out) {
        linearAlgebra.triangularSolve(l, b, transpose, out);
    }

    /** A matrix operand as cuBLAS sees it: op, leading dimension and one batch stride. */
    private static final class Operand {
        final long address;
        final int op, ld;
        final long batchStride;

        Operand(long address, int op, int ld, long batchStride) {
            this.address = address;
            this.op = op;
            this.ld = ld;
            this.batchStride = batchStride;
        }
    }

    /** t is [..., rows, cols] row-major-ish; returns it as a column-major cuBLAS operand of t^T. */
    private Operand operand(Tensor t, int rows, int cols, List<Tensor> temps) {
        int r = t.rank();
        int sr = rows == 1 ? cols : t.stride(r - 2), sc = cols == 1 ? 1 : t.stride(r - 1);
        Long batchStride = uniformBatchStride(t);
        int op, ld;
        if (sc == 1 && sr >= Math.max(1, cols)) {
            op = CUBLAS_OP_N;
            ld = sr;
        } else if (sr == 1 && sc >= Math.max(1, rows)) {
            op = CUBLAS_OP_T;
            ld = sc;
        } else {
            batchStride = null;
            op = CUBLAS_OP_N;
            ld = cols;
        }
        if (batchStride == null) {
            Tensor c = t.contiguous();
            if (c != t) temps.add(c);
            return new Operand(addr(c), CUBLAS_OP_N, Math.max(1, cols), (long) rows * cols);
        }
        return new Operand(addr(t), op, ld, batchStride);
    }

    /** The one stride that walks all leading (batch) dimensions in order, or null when there is none. */
    private static Long uniformBatchStride(Tensor t) {
        int r = t.rank();
        if (r <= 2) return 0L;
        long stride = -1;
        long expectNext = -1;
        for (int d = r - 3; d >= 0; d--) {
            if (t.size(d) == 1) continue;
            if (stride < 0) {
                stride = t.stride(d);
                expectNext = stride * t.size(d);
            } else {
                if (t.stride(d) != expectNext) {
                    // broadcast batch (stride 0 everywhere) is fine, anything else is not uniform
                    if (!(stride == 0 && t.stride(d) == 0)) return null;
                }
                expectNext = (long) t.stride(d) * t.size(d);
            }
        }
        return Math.max(stride, 0L);
    }

    /** A device address as the FloatPointer cuBLAS's binding takes (never dereferenced on the host). */
    static FloatPointer device(long address) {
        return new DevicePointer(address);
    }

    /**
     * A named subclass, not an anonymous one: inside an anonymous FloatPointer's initialiser
     * {@code address} is the inherited field, which shadows the captured parameter, so
     * {@code this.address = address} assigned the field to itself and cuBLAS got NULL.
     */
    private static final class DevicePointer extends FloatPointer {
        DevicePointer(long deviceAddress) {
            this.address = deviceAddress;
        }
    }

    // ------------------------------------------------------------------ row kernels

    private Tensor dense(Tensor t, List<Tensor> temps) {
        if (t == null || t.isContiguous()) return t;
        Tensor c = t.contiguous();
        temps.add(c);
        return c;
    }

    private static int rowThreads(int cols) {
        return cols > 4096 ? 512 : (cols > 512 ? 256 : 128);
    }

    /** Runs a kernel that writes a contiguous output, through a temporary when out is a strided view. */
    private void intoDense(Tensor out, java.util.function.Consumer<Tensor> body) {
        if (out.isContiguous()) {
            body.accept(out);
            return;
        }
        try (Tensor tmp = Tensor.empty(out.shape(), out.dtype(), device)) {
            body.accept(tmp);
            copy(tmp, out);
        }
    }

    @Override
    public void softmax(Tensor x, float temperature, boolean log, Tensor out) {
        List<Tensor> temps = new ArrayList<>();
        try {
            Tensor xd = dense(x, temps);
            int cols = x.size(-1);
            long rows = x.numel() / Math.max(1, cols);
            intoDense(out, o -> {
                synchronized (ctx) {
                    ctx.args().ptr(addr(xd)).ptr(addr(o)).i32(cols).f32(1f / temperature).i32(log ? 1 : 0);
                    ctx.launch(KernelCatalog.SOFTMAX_FWD, rows, 1, rowThreads(cols), 0);
                }
            });
        } finally {
            temps.forEach(Tensor::close);
        }
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor g, float temperature, boolean log, Tensor out) {
        List<Tensor> temps = new ArrayList<>();
        try {
            Tensor yd = dense(y, temps), gd = dense(g, temps);
            int cols = y.size(-1);
            long rows = y.numel() / Math.max(1, cols);
            intoDense(out, o -> {
                synchronized (ctx) {
                    ctx.args().ptr(addr(yd)).ptr(addr(gd)).ptr(addr(o)).i32(cols).f32(1f / temperature).i32(log ? 1 : 0);
                    ctx.launch(KernelCatalog.SOFTMAX_BWD, rows, 1, rowThreads(cols), 0);
                }
            });
        } finally {
            temps.forEach(Tensor::close);
        }
    }

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out, Tensor mean, Tensor rstd) {
        List<Tensor> temps = new ArrayList<>();
        try {
            Tensor xd = dense(x, temps), wd = dense(weight, temps), bd = dense(bias, temps);
            int c = x.size(-1);
            long rows = x.numel() / Math.max(1, c);
            intoDense(out, o -> intoDense(mean, md -> intoDense(rstd, rd -> {
                synchronized (ctx) {
                    ctx.args().ptr(addr(xd)).ptr(wd == null ? 0 : addr(wd)).ptr(bd == null ? 0 : addr(bd)).ptr(addr(o)).ptr(addr(md))
                            .ptr(addr(rd)).i32(c).f32(eps);
                    ctx.launch(KernelCatalog.LAYERNORM_FWD, rows, 1, rowThreads(c), 0);
                }
            })));
        } finally {
            temps.forEach(Tensor::close);
        }
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gradOut, Tensor gradX,
                                  Tensor gradWeight, Tensor gradBias) {
        List<Tensor> temps = new ArrayList<>();
        try {
            Tensor xd = dense(x, temps), wd = dense(weight, temps), md = dense(mean, temps), rd = dense(rstd, temps);
            Tensor gd = dense(gradOut, temps);
            int c = x.size(-1);
            long rows = x.numel() / Math.max(1, c);
            intoDense(gradX, gx -> {
                synchronized (ctx) {
                    ctx.args().ptr(addr(xd)).ptr(wd == null ? 0 : addr(wd)).ptr(addr(md)).ptr(addr(rd)).ptr(addr(gd)).ptr(addr(gx)).i32(c);
                    ctx.launch(KernelCatalog.LAYERNORM_BWD_DX, rows, 1, rowThreads(c), 0);
                }
            });
            if (gradWeight != null || gradBias != null) {
                Tensor gw = gradWeight, gb = gradBias;
                if ((gw != null && !gw.isContiguous()) || (gb != null && !gb.isContiguous())) {
                    throw new IllegalArgumentException("cuda layerNormBackward: weight/bias gradients must be contiguous");
                }
                synchronized (ctx) {
                    ctx.args().ptr(addr(xd)).ptr(addr(md)).ptr(addr(rd)).ptr(addr(gd)).ptr(gw == null ? 0 : addr(gw))
                            .ptr(gb == null ? 0 : addr(gb)).i64(rows).i32(c);
                    ctx.launch2d(KernelCatalog.LAYERNORM_BWD_DWDB, (c + 31) / 32, 32, 16);
                }
            }
        } finally {
            temps.forEach(Tensor::close);
        }
    }

    /** cuDNN's spatial batch norm where it takes the arguments, else the interface's composition; see {@link CudnnBatchNorm}. */
    @Override
    public void batchNorm(Tensor x, Tensor weight, Tensor bias, float eps, boolean relu, Tensor out, Tensor mean, Tensor var, Tensor rstd) {
        if (!batchNorm.forward(x, weight, bias, eps, relu, out, mean, var, rstd)) {
            Backend.super.batchNorm(x, weight, bias, eps, relu, out, mean, var, rstd);
        }
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor weight, Tensor bias, Tensor mean, Tensor rstd, boolean relu, Tensor gradOut, Tensor gradX,
                                  Tensor gradWeight, Tensor gradBias) {
        if (!batchNorm.backward(x, weight, bias, mean, rstd, relu, gradOut, gradX, gradWeight, gradBias)) {
            Backend.super.batchNormBackward(x, weight, bias, mean, rstd, relu, gradOut, gradX, gradWeight, gradBias);
        }
    }

    // ------------------------------------------------------------------ the rest

    @Override
    public void resizeBicubic(Tensor x, boolean alignCorners, double scaleH, double scaleW, Tensor out) {
        List<Tensor> temps = new ArrayList<>();
        try {
            Tensor xd = dense(x, temps);
            long planes = (long) x.size(0) * x.size(1);
            intoDense(out, o -> {
                long total = o.numel();
                synchronized (ctx) {
                    ctx.args().ptr(addr(xd)).ptr(addr(o)).i64(planes).i32(x.size(2)).i32(x.size(3)).i32(o.size(2)).i32(o.size(3))
                            .i32(alignCorners ? 1 : 0).f64(scaleH).f64(scaleW);
                    ctx.launch(KernelCatalog.RESIZE_BICUBIC, grid(total), 1, THREADS, 0);
                }
            });
        } finally {
            temps.forEach(Tensor::close);
        }
    }

    @Override
    public void random(RandomDistribution dist, long seed, long offset, float a, float b, Tensor out) {
        long n = out.numel();
        long blocks = (n + 4 / dist.wordsPerElement() - 1) / (4 / dist.wordsPerElement());
        synchronized (ctx) {
            ctx.args().i32(dist.ordinal()).i64(seed).i64(offset).f32(a).f32(b).ptr(addr(out)).i64(n);
            ctx.launch(KernelCatalog.RANDOM_PHILOX, grid(blocks), 1, THREADS, 0);
        }
    }

    @Override
    public void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        if (x.rank() > KernelArgs.MAX_DIMS) {
            throw new IllegalArgumentException("cuda indexSelect: input " + x.shape() + " has " + x.rank() + " dimensions, at most "
                    + KernelArgs.MAX_DIMS);
        }
        checkRange("indexSelect", readInts(index), x, dim);
        List<Tensor> temps = new ArrayList<>();
        try {
            Tensor id = dense(index, temps);
            int[] shape = out.dims();
            int[] xs = x.strides().clone();
            int dimStride = xs[dim];
            synchronized (ctx) {
                ctx.args().ptr(addr(x)).strides(xs).i32(dim).i32(dimStride).ptr(addr(id)).ptr(addr(out)).strides(out.strides())
                        .shape(shape).i64(out.numel());
                ctx.launch(KernelCatalog.INDEX_SELECT, grid(out.numel()), 1, THREADS, 0);
            }
        } finally {
            temps.forEach(Tensor::close);
        }
    }

    @Override
    public void gather(Tensor x, int dim, Tensor index, Tensor out) {
        gatherScatter("gather", x, dim, index, out, false);
    }

    @Override
    public void scatterAdd(Tensor src, int dim, Tensor index, Tensor out) {
        gatherScatter("scatterAdd", out, dim, index, src, true);
    }

    private void gatherScatter(String op, Tensor big, int dim, Tensor index, Tensor small, boolean scatter) {
        if (index.rank() > KernelArgs.MAX_DIMS) {
            throw new IllegalArgumentException("cuda " + op + ": index " + index.shape() + " has " + index.rank() + " dimensions, at most "
                    + KernelArgs.MAX_DIMS);
        }
        checkRange(op, readInts(index), big, dim);
        List<Tensor> temps = new ArrayList<>();
        try {
            Tensor id = dense(index, temps);
            synchronized (ctx) {
                ctx.args().ptr(addr(id)).ptr(addr(big)).strides(big.strides()).ptr(addr(small)).strides(small.strides()).i32(dim)
                        .shape(index.dims()).i64(index.numel()).i32(scatter ? 1 : 0);
                ctx.launch(KernelCatalog.GATHER_SCATTER, grid(index.numel()), 1, THREADS, 0);
            }
        } finally {
            temps.forEach(Tensor::close);
        }
    }

    private static void checkRange(String op, int[] idx, Tensor x, int dim) {
        int n = x.size(dim);
        for (int j = 0; j < idx.length; j++) {
            if (idx[j] < 0 || idx[j] >= n) {
                throw new IllegalArgumentException(op + ": index " + idx[j] + " at position " + j + " is out of range for dimension " + dim
                        + " of size " + n + " (input shape " + x.shape() + ")");
            }
        }
    }

    @Override
    public void adamw(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, float lr, float beta1, float beta2, float eps,
                      float weightDecay, int step) {
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        synchronized (ctx) {
            ctx.args().ptr(addr(param)).ptr(addr(grad)).ptr(addr(expAvg)).ptr(addr(expAvgSq)).i64(param.numel()).f32(lr).f32(beta1)
                    .f32(beta2).f32(eps).f32(weightDecay).f32((float) (lr / bc1)).f32((float) (1 / Math.sqrt(bc2)));
            ctx.launch(KernelCatalog.ADAMW_SINGLE, grid(param.numel()), 1, THREADS, 0);
        }
    }

    @Override
    public String toString() {
        return "CudaBackend(" + ctx + ")";
    }
}
