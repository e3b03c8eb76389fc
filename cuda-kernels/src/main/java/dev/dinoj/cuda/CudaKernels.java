package dev.dinoj.cuda;

import dev.dinoj.tensor.DType;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * Typed entry points of the custom kernels that have no tensor-core op of their own: fused attention,
 * the fused DINO cross-entropy and centre update, and the multi-tensor EMA / AdamW / gradient-norm
 * kernels. Each checks devices, shapes and contiguity and throws one {@link IllegalArgumentException}
 * naming the problem before anything is launched. Results are new tensors the caller closes.
 */
public final class CudaKernels {
    private static final int ATTN_TILE = 32, ATTN_THREADS = 128;
    private final CudaBackend backend;
    private final CudaContext ctx;
    private final Device device;

    private CudaKernels(CudaBackend backend) {
        this.backend = backend;
        this.ctx = backend.context();
        this.device = backend.device();
    }

    static CudaKernels over(CudaBackend backend) {
        return new CudaKernels(backend);
    }

    /** The kernels of a CUDA device (throws DeviceUnavailableException when it cannot be used). */
    public static CudaKernels of(Device device) {
        if (device.kind() != Device.Kind.CUDA) throw new IllegalArgumentException("CudaKernels: " + device + " is not a CUDA device");
        return new CudaKernels((CudaBackend) device.backend());
    }

    private void require(String op, String name, Tensor t, int rank) {
        if (t == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (!t.device().equals(device)) throw new IllegalArgumentException(op + ": " + name + " is on " + t.device() + ", expected " + device);
        if (t.dtype() != DType.FLOAT32) throw new IllegalArgumentException(op + ": " + name + " must be float32, got " + t.dtype());
        if (rank >= 0 && t.rank() != rank) {
            throw new IllegalArgumentException(op + ": " + name + " must have rank " + rank + ", got shape " + t.shape());
        }
        if (!t.isContiguous()) throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " must be contiguous");
    }

    private static void sameShape(String op, Tensor a, String an, Tensor b, String bn) {
        if (!a.shape().equals(b.shape())) {
            throw new IllegalArgumentException(op + ": " + an + " " + a.shape() + " and " + bn + " " + b.shape() + " must have the same shape");
        }
    }

    // ------------------------------------------------------------------ attention

    /** Output of the fused attention forward: o [BH, N, D], lse [BH, N], probs [BH, N, N] or null. */
    public record Attention(Tensor output, Tensor logSumExp, Tensor probabilities) implements AutoCloseable {
        @Override
        public void close() {
            output.close();
            logSumExp.close();
            if (probabilities != null) probabilities.close();
        }
    }

    /** Gradients of the fused attention. */
    public record AttentionGrads(Tensor dq, Tensor dk, Tensor dv) implements AutoCloseable {
        @Override
        public void close() {
            dq.close();
            dk.close();
            dv.close();
        }
    }

    private int headDim(String op, Tensor q, Tensor k, Tensor v) {
        require(op, "q", q, 3);
        require(op, "k", k, 3);
        require(op, "v", v, 3);
        sameShape(op, q, "q", k, "k");
        sameShape(op, q, "q", v, "v");
        int d = q.size(2);
        if (d != 32 && d != 64 && d != 128) {
            throw new IllegalArgumentException(op + ": head dim " + d + " is not supported (32, 64 or 128), q " + q.shape());
        }
        return d;
    }

    private static int fwdShared(int d) {
        return 4 * (2 * ATTN_TILE * (d + 1) + ATTN_TILE * (ATTN_TILE + 1));
    }

    static int dkdvShared(int d) {
        return 4 * (4 * ATTN_TILE * (d + 1) + 2 * ATTN_TILE * (ATTN_TILE + 1) + 2 * ATTN_TILE);
    }

    private static int dqShared(int d) {
        return 4 * (4 * ATTN_TILE * (d + 1) + ATTN_TILE * (ATTN_TILE + 1));
    }

    /** Blocks of the tiled attention kernels: ceil(n / 32) tiles per (batch x head), all on gridDim.x (attention.cu). */
    private static long tiles(int n, int bh) {
        return (long) ((n + ATTN_TILE - 1) / ATTN_TILE) * bh;
    }

    /**
     * softmax(q k^T * scale) v for q, k, v [BH, N, D] (D = 32, 64, 128), online softmax over key tiles;
     * the probabilities are computed (from the saved log-sum-exp) only when asked for.
     */
    public Attention attention(Tensor q, Tensor k, Tensor v, float scale, boolean returnProbabilities) {
        int d = headDim("attention", q, k, v);
        int bh = q.size(0), n = q.size(1);
        Tensor o = Tensor.empty(q.shape(), DType.FLOAT32, device);
        Tensor lse = Tensor.empty(Shape.of(bh, n), DType.FLOAT32, device);
        KernelSignature kernel = KernelCatalog.attnFwd(d);
        int shared = fwdShared(d);
        synchronized (ctx) {
            ctx.allowSharedMemory(kernel, shared);
            ctx.args().ptr(CudaBackend.addr(q)).ptr(CudaBackend.addr(k)).ptr(CudaBackend.addr(v)).ptr(CudaBackend.addr(o))
                    .ptr(CudaBackend.addr(lse)).i32(n).f32(scale);
            ctx.launch(kernel, tiles(n, bh), 1, ATTN_THREADS, shared);
        }
        Tensor p = null;
        if (returnProbabilities) {
            p = Tensor.empty(Shape.of(bh, n, n), DType.FLOAT32, device);
            synchronized (ctx) {
                ctx.args().ptr(CudaBackend.addr(q)).ptr(CudaBackend.addr(k)).ptr(CudaBackend.addr(lse)).ptr(CudaBackend.addr(p)).i32(n)
                        .i32(d).f32(scale);
                ctx.launch(KernelCatalog.ATTN_PROBS, (((long) n * n + 255) / 256) * bh, 1, 256, 0);
            }
        }
        return new Attention(o, lse, p);
    }

    /** dQ, dK, dV from the forward's inputs, its output o and log-sum-exp, and the output gradient. */
    public AttentionGrads attentionBackward(Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor gradOut, float scale) {
        int d = headDim("attentionBackward", q, k, v);
        require("attentionBackward", "o", o, 3);
        require("attentionBackward", "gradOut", gradOut, 3);
        require("attentionBackward", "lse", lse, 2);
        sameShape("attentionBackward", q, "q", o, "o");
        sameShape("attentionBackward", q, "q", gradOut, "gradOut");
        int bh = q.size(0), n = q.size(1);
        if (lse.size(0) != bh || lse.size(1) != n) {
            throw new IllegalArgumentException("attentionBackward: lse " + lse.shape() + " must be [" + bh + ", " + n + "]");
        }
        Tensor dq = Tensor.empty(q.shape(), DType.FLOAT32, device);
        Tensor dk = Tensor.empty(q.shape(), DType.FLOAT32, device);
        Tensor dv = Tensor.empty(q.shape(), DType.FLOAT32, device);
        try (Tensor delta = Tensor.empty(Shape.of(bh, n), DType.FLOAT32, device)) {
            long rows = (long) bh * n;
            KernelSignature dkdv = KernelCatalog.attnBwdDkdv(d), dqk = KernelCatalog.attnBwdDq(d);
            synchronized (ctx) {
                ctx.args().ptr(CudaBackend.addr(o)).ptr(CudaBackend.addr(gradOut)).ptr(CudaBackend.addr(delta)).i64(rows).i32(d);
                ctx.launch(KernelCatalog.ATTN_BWD_DELTA, (rows + 7) / 8, 1, 256, 0);
                ctx.allowSharedMemory(dkdv, dkdvShared(d));
                ctx.args().ptr(CudaBackend.addr(q)).ptr(CudaBackend.addr(k)).ptr(CudaBackend.addr(v)).ptr(CudaBackend.addr(gradOut))
                        .ptr(CudaBackend.addr(lse)).ptr(CudaBackend.addr(delta)).ptr(CudaBackend.addr(dk)).ptr(CudaBackend.addr(dv)).i32(n)
                        .f32(scale);
                ctx.launch(dkdv, tiles(n, bh), 1, ATTN_THREADS, dkdvShared(d));
                ctx.allowSharedMemory(dqk, dqShared(d));
                ctx.args().ptr(CudaBackend.addr(q)).ptr(CudaBackend.addr(k)).ptr(CudaBackend.addr(v)).ptr(CudaBackend.addr(gradOut))
                        .ptr(CudaBackend.addr(lse)).ptr(CudaBackend.addr(delta)).ptr(CudaBackend.addr(dq)).i32(n).f32(scale);
                ctx.launch(dqk, tiles(n, bh), 1, ATTN_THREADS, dqShared(d));
            }
        }
        return new AttentionGrads(dq, dk, dv);
    }

    // ------------------------------------------------------------------ DINO loss

    /** The DINO loss (a 1-element tensor) and its gradient with respect to the student logits. */
    public record DinoLossResult(Tensor loss, Tensor gradStudent) implements AutoCloseable {
        @Override
        public void close() {
            loss.close();
            gradStudent.close();
        }
    }

    /**
     * student [crops * B, K] (crop-major, the 2 global crops first), teacher [2 * B, K], center [K]:
     * the mean over pairs (teacher view a, student view v != a) of the batch-mean cross-entropy between
     * softmax((teacher - center) / teacherTemp) and log_softmax(student / studentTemp), and its
     * gradient. Needs one teacher-sized scratch buffer.
     */
    public DinoLossResult dinoLoss(Tensor student, Tensor teacher, Tensor center, int crops, float studentTemp, float teacherTemp) {
        require("dinoLoss", "student", student, 2);
        require("dinoLoss", "teacher", teacher, 2);
        require("dinoLoss", "center", center, -1);
        if (crops < 2) throw new IllegalArgumentException("dinoLoss: need at least the 2 global crops, got " + crops);
        int k = student.size(1), rows = student.size(0);
        if (rows % crops != 0) throw new IllegalArgumentException("dinoLoss: student rows " + rows + " are not a multiple of " + crops + " crops");
        int b = rows / crops;
        if (teacher.size(0) != 2 * b || teacher.size(1) != k) {
            throw new IllegalArgumentException("dinoLoss: teacher " + teacher.shape() + " must be [2 * " + b + ", " + k + "] for student "
                    + student.shape() + " with " + crops + " crops");
        }
        if (center.numel() != k) throw new IllegalArgumentException("dinoLoss: center " + center.shape() + " must have " + k + " elements");
        if (!(studentTemp > 0) || !(teacherTemp > 0)) throw new IllegalArgumentException("dinoLoss: temperatures must be positive");
        int pairs = 2 * crops - 2;
        Tensor grad = Tensor.empty(student.shape(), DType.FLOAT32, device);
        Tensor loss = Tensor.empty(Shape.of(1), DType.FLOAT32, device);
        int threads = k > 4096 ? 512 : 256;
        try (Tensor q = Tensor.empty(teacher.shape(), DType.FLOAT32, device);
             Tensor rowLoss = Tensor.empty(Shape.of(rows), DType.FLOAT32, device)) {
            synchronized (ctx) {
                ctx.args().ptr(CudaBackend.addr(teacher)).ptr(CudaBackend.addr(center)).ptr(CudaBackend.addr(q)).i32(k).f32(1f / teacherTemp);
                ctx.launch(KernelCatalog.DINO_TEACHER_PROBS, 2L * b, 1, threads, 0);
                ctx.args().ptr(CudaBackend.addr(student)).ptr(CudaBackend.addr(q)).ptr(CudaBackend.addr(grad)).ptr(CudaBackend.addr(rowLoss))
                        .i32(b).i32(k).f32(1f / studentTemp).f32(1f / ((float) pairs * b));
                ctx.launch(KernelCatalog.DINO_CE, rows, 1, threads, 0);
                ctx.args().ptr(CudaBackend.addr(rowLoss)).i32(rows).ptr(CudaBackend.addr(loss));
                ctx.launch(KernelCatalog.DINO_SUM, 1, 1, 256, 0);
            }
        }
        return new DinoLossResult(loss, grad);
    }

    /** center = momentum * center + (1 - momentum) * (mean of teacher's rows), in place. */
    public void updateCenter(Tensor teacher, Tensor center, float momentum) {
        require("updateCenter", "teacher", teacher, 2);
        require("updateCenter", "center", center, -1);
        int k = teacher.size(1);
        if (center.numel() != k) throw new IllegalArgumentException("updateCenter: center " + center.shape() + " must have " + k + " elements");
        synchronized (ctx) {
            ctx.args().ptr(CudaBackend.addr(teacher)).ptr(CudaBackend.addr(center)).i32(teacher.size(0)).i32(k).f32(momentum);
            ctx.launch(KernelCatalog.DINO_CENTER, (k + 255) / 256, 1, 256, 0);
        }
    }

    // ------------------------------------------------------------------ multi-tensor

    /** A list of same-device contiguous tensors uploaded once as a pointer table for multi-tensor launches. */
    public MultiTensorTable table(List<Tensor> tensors) {
        for (int i = 0; i < tensors.size(); i++) require("multi-tensor table", "tensor " + i, tensors.get(i), -1);
        return new MultiTensorTable(ctx, tensors);
    }

    private static void sameLayout(String op, MultiTensorTable a, MultiTensorTable b) {
        if (!Arrays.equals(a.sizes(), b.sizes())) throw new IllegalArgumentException(op + ": the two tensor lists differ in sizes");
    }

    /** teacher = m * teacher + (1 - m) * student over every tensor pair, in one launch. */
    public void ema(MultiTensorTable teacher, MultiTensorTable student, float momentum) {
        sameLayout("ema", teacher, student);
        synchronized (ctx) {
            ctx.args().ptr(teacher.pointers()).ptr(student.pointers()).ptr(teacher.sizesAddress()).ptr(teacher.chunkTensor())
                    .ptr(teacher.chunkStart()).f32(momentum);
            ctx.launch(KernelCatalog.MT_EMA, teacher.chunks(), 1, 256, 0);
        }
    }

    /** One AdamW step (PyTorch's formula) over a whole parameter group in one launch. */
    public void adamw(MultiTensorTable params, MultiTensorTable grads, MultiTensorTable expAvg, MultiTensorTable expAvgSq, float lr,
                      float beta1, float beta2, float eps, float weightDecay, int step) {
        sameLayout("adamw", params, grads);
        sameLayout("adamw", params, expAvg);
        sameLayout("adamw", params, expAvgSq);
        if (step < 1) throw new IllegalArgumentException("adamw: step must be >= 1, got " + step);
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        synchronized (ctx) {
            ctx.args().ptr(params.pointers()).ptr(grads.pointers()).ptr(expAvg.pointers()).ptr(expAvgSq.pointers()).ptr(params.sizesAddress())
                    .ptr(params.chunkTensor()).ptr(params.chunkStart()).f32(lr).f32(beta1).f32(beta2).f32(eps).f32(weightDecay)
                    .f32((float) (lr / bc1)).f32((float) (1 / Math.sqrt(bc2)));
            ctx.launch(KernelCatalog.MT_ADAMW, params.chunks(), 1, 256, 0);
        }
    }

    /** The L2 norm of each tensor of the table, as a device vector [tensors]. */
    public Tensor norms(MultiTensorTable t) {
        Tensor norms = Tensor.empty(Shape.of(t.size()), DType.FLOAT32, device);
        long partial = ctx.allocator().allocate(8L * t.chunks());
        try {
            synchronized (ctx) {
                ctx.args().ptr(t.pointers()).ptr(t.sizesAddress()).ptr(t.chunkTensor()).ptr(t.chunkStart()).ptr(partial);
                ctx.launch(KernelCatalog.MT_SUMSQ, t.chunks(), 1, 256, 0);
                ctx.args().ptr(partial).ptr(t.firstChunk()).i32(t.size()).ptr(CudaBackend.addr(norms));
                ctx.launch(KernelCatalog.MT_NORMS, (t.size() + 255) / 256, 1, 256, 0);
            }
        } finally {
            ctx.allocator().release(partial); // stream-ordered: later work cannot overtake the kernels above
        }
        return norms;
    }

    /**
     * DINO's per-parameter clipping: each tensor whose norm exceeds maxNorm is scaled by
     * maxNorm / (norm + 1e-6). Returns the norms before clipping, a device vector [tensors] the caller closes.
     */
    public Tensor clipPerTensor(MultiTensorTable grads, float maxNorm) {
        Tensor norms = norms(grads);
        synchronized (ctx) {
            ctx.args().ptr(grads.pointers()).ptr(grads.sizesAddress()).ptr(grads.chunkTensor()).ptr(grads.chunkStart())
                    .ptr(CudaBackend.addr(norms)).f32(maxNorm);
            ctx.launch(KernelCatalog.MT_CLIP, grads.chunks(), 1, 256, 0);
        }
        return norms;
    }

    /** Multiplies every tensor of the table by factor[0] (a device scalar, e.g. a global-norm clip factor). */
    public void scale(MultiTensorTable t, Tensor factor) {
        require("scale", "factor", factor, -1);
        synchronized (ctx) {
            ctx.args().ptr(t.pointers()).ptr(t.sizesAddress()).ptr(t.chunkTensor()).ptr(t.chunkStart()).ptr(CudaBackend.addr(factor));
            ctx.launch(KernelCatalog.MT_SCALE, t.chunks(), 1, 256, 0);
        }
    }
}
