package dev.dinoj.cuda;

import static org.bytedeco.cuda.global.cudnn.CUDNN_CROSS_CORRELATION;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DATA_FLOAT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DETERMINISTIC;
import static org.bytedeco.cuda.global.cudnn.CUDNN_FMA_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_NHWC;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_OP_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionBackwardData;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionBackwardFilter;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionForward;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateConvolutionDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateFilterDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnFindConvolutionBackwardDataAlgorithmEx;
import static org.bytedeco.cuda.global.cudnn.cudnnFindConvolutionBackwardFilterAlgorithmEx;
import static org.bytedeco.cuda.global.cudnn.cudnnFindConvolutionForwardAlgorithmEx;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionBackwardDataWorkspaceSize;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionForwardAlgorithmMaxCount;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionForwardAlgorithm_v7;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionForwardWorkspaceSize;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolution2dDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolutionGroupCount;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolutionMathType;
import static org.bytedeco.cuda.global.cudnn.cudnnSetFilter4dDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetTensor4dDescriptor;

import dev.dinoj.tensor.ConvTaps;
import dev.dinoj.tensor.Convolution;
import dev.dinoj.tensor.DType;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.ReferenceConvolution;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdDataAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdFilterAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * {@link Convolution} through cuDNN's convolution API. Channels-last tokens are cuDNN's NHWC as they
 * stand: x [B, H*W, in] (made contiguous) is an NHWC tensor, the output [B, OH*OW, out] is one, and
 * the weight goes in as an NHWC ("KRSC") filter [out, k, k, in / groups], one permuted copy of the
 * torch-layout weight per forward, kept for the backward, whose weight gradient is permuted back.
 * Bias: added to the output and summed from the output gradient by our own tensor ops.
 *
 * <p>Algorithms: per geometry ({@link Geometry}) the descriptors are made once and each direction's
 * algorithm is chosen the first time that direction runs, by cuDNN's heuristics (the default: the same
 * algorithm on every run, so a run and its resume compute the same bits) or, with
 * {@code -Ddinoj.cudnn.heuristics=false}, measured by cudnnFind*AlgorithmEx on that call's own buffers
 * (so cuDNN allocates nothing of its own; faster picks, chosen by timing, so not reproducible). The choice is the fastest deterministic algorithm whose workspace
 * fits, else the fastest that fits ({@link #choose}). Workspaces are temporary tensors from the caching
 * allocator, closed after the call; the limit is 256 MiB ({@code -Ddinoj.cudnn.workspaceMiB}) and at
 * most half the device's free memory.
 *
 * <p>Math: FP32 (CUDNN_FMA_MATH) unless {@code -Ddinoj.cuda.tf32=true}, the switch that puts cuBLAS's
 * GEMMs on TF32 tensor cores: a convolution rounds like the im2col GEMM it replaces.
 *
 * <p>{@link ReferenceConvolution} runs where cuDNN does not load, for geometries past its 32-bit
 * element counts or with no batch, and where cuDNN offers no algorithm; the backward follows the
 * forward's Saved type, and a backward direction without an algorithm recomputes the reference's forward.
 *
 * <p>cuDNN 9 deprecates this legacy API in favour of its graph API, but still ships it (libcudnn_cnn,
 * libcudnn_ops); the graph API through JavaCPP's raw backend descriptors would be many times the code.
 */
@SuppressWarnings("deprecation")
final class CudnnConvolution implements Convolution {
    private static final boolean HEURISTICS = Boolean.parseBoolean(System.getProperty("dinoj.cudnn.heuristics", "true"));
    private static final long WORKSPACE_LIMIT = Long.getLong("dinoj.cudnn.workspaceMiB", 256) << 20;

    private final CudaContext ctx;
    private final Cudnn cudnn;
    private final FloatPointer one = new FloatPointer(1f), zero = new FloatPointer(0f);
    /** Under the context's lock, as every cuDNN call. */
    private final Map<Geometry, Plan> plans = new HashMap<>();
    private final Set<Geometry> refused = new HashSet<>();

    CudnnConvolution(CudaContext ctx, Cudnn cudnn) {
        this.ctx = ctx;
        this.cudnn = cudnn;
    }

    /** What decides descriptors and algorithms: the key of the plan cache (x's strides do not matter, it is made contiguous). */
    record Geometry(int batch, int height, int width, int in, int out, int kernel, int stride, int padding, int dilation, int groups) {
        static Geometry of(Args a) {
            return new Geometry(a.batch(), a.height(), a.width(), a.inChannels(), a.outChannels(), a.kernel(), a.stride(), a.padding(),
                    a.dilation(), a.groups());
        }

        int outHeight() {
            return ConvTaps.outputSize(height, kernel, stride, padding, dilation);
        }

        int outWidth() {
            return ConvTaps.outputSize(width, kernel, stride, padding, dilation);
        }

        /** cuDNN's 4-d descriptors take int sizes and its kernels index in 32 bits; a batch of 0 is a bad parameter. */
        boolean fitsCudnn() {
            long limit = Integer.MAX_VALUE;
            return batch >= 1 && (long) batch * height * width * in <= limit && (long) batch * outHeight() * outWidth() * out <= limit
                    && (long) out * kernel * kernel * (in / groups) <= limit;
        }
    }

    /** A chosen algorithm with the math type it was measured with and its workspace; NONE where cuDNN had none. */
    record Algorithm(int id, int mathType, long workspaceBytes) {
        static final Algorithm NONE = new Algorithm(-1, 0, 0);
    }

    /** One row of cuDNN's ranking (fastest first), as {@link #choose} reads it. */
    record Candidate(int algo, int status, long memory, boolean deterministic, int mathType) {
        boolean tensorOps() {
            return mathType == CUDNN_TENSOR_OP_MATH || mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
        }
    }

    /**
     * The first (fastest) candidate that succeeded, fits the workspace limit and, without TF32, runs in
     * FP32, preferring a deterministic one (the project's kernels give the same bits on every run); null
     * when none qualifies.
     */
    static Candidate choose(List<Candidate> ranked, long workspaceLimit, boolean tf32) {
        Candidate fastest = null;
        for (Candidate c : ranked) {
            if (c.status() != CUDNN_STATUS_SUCCESS || c.memory() > workspaceLimit || (!tf32 && c.tensorOps())) continue;
            if (c.deterministic()) return c;
            if (fastest == null) fastest = c;
        }
        return fastest;
    }

    /** The descriptors of one geometry and the algorithm of each direction, found on first use. */
    private final class Plan {
        final Geometry g;
        final cudnnTensorStruct x = new cudnnTensorStruct(), y = new cudnnTensorStruct();
        final cudnnFilterStruct w = new cudnnFilterStruct();
        final cudnnConvolutionStruct conv = new cudnnConvolutionStruct();
        Algorithm forward, backwardData, backwardFilter;

        Plan(Geometry g) {
            this.g = g;
            Driver.checkDnn(cudnnCreateTensorDescriptor(x), "cudnnCreateTensorDescriptor");
            Driver.checkDnn(cudnnCreateTensorDescriptor(y), "cudnnCreateTensorDescriptor");
            Driver.checkDnn(cudnnCreateFilterDescriptor(w), "cudnnCreateFilterDescriptor");
            Driver.checkDnn(cudnnCreateConvolutionDescriptor(conv), "cudnnCreateConvolutionDescriptor");
            // sizes in NCHW order whatever the format; note the tensor call takes (format, type), the filter call (type, format)
            Driver.checkDnn(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, g.batch, g.in, g.height, g.width),
                    "cudnnSetTensor4dDescriptor(x, " + g + ")");
            Driver.checkDnn(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, g.batch, g.out, g.outHeight(), g.outWidth()),
                    "cudnnSetTensor4dDescriptor(y, " + g + ")");
            Driver.checkDnn(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC, g.out, g.in / g.groups, g.kernel, g.kernel),
                    "cudnnSetFilter4dDescriptor(" + g + ")");
            Driver.checkDnn(cudnnSetConvolution2dDescriptor(conv, g.padding, g.padding, g.stride, g.stride, g.dilation, g.dilation,
                    CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT), "cudnnSetConvolution2dDescriptor(" + g + ")");
            Driver.checkDnn(cudnnSetConvolutionGroupCount(conv, g.groups), "cudnnSetConvolutionGroupCount(" + g + ")");
        }

        /** Sets the math type every search starts from, or the one an algorithm was measured with. */
        void math(int type) {
            Driver.checkDnn(cudnnSetConvolutionMathType(conv, type), "cudnnSetConvolutionMathType(" + type + ")");
        }
    }

    /** What the backward needs: x contiguous, the KRSC weight, the plan. */
    private record Kept(Tensor x, Tensor weight, Plan plan) implements Saved {}

    /** The plan for a's geometry, or null where it goes to the reference. Under the context's lock. */
    private Plan plan(Args a) {
        Geometry g = Geometry.of(a);
        if (!g.fitsCudnn() || refused.contains(g) || cudnn.handle() == null) return null;
        Plan p = plans.get(g);
        if (p == null) {
            try {
                p = new Plan(g);
            } catch (CudaException e) {
                refused.add(g);
                say("cuDNN refused the convolution " + g + " (" + e.getMessage() + ")");
                return null;
            }
            plans.put(g, p);
        }
        return p;
    }

    @Override
    public Forward forward(Args a) {
        Plan p;
        synchronized (ctx) {
            p = plan(a);
        }
        if (p == null) return ReferenceConvolution.INSTANCE.forward(a);
        Geometry g = p.g;
        Device device = a.x().device();
        Tensor x = a.x().contiguous(), w = a.weight().permute(0, 2, 3, 1).contiguous();
        Tensor y = Tensor.empty(Shape.of(g.batch, g.outHeight() * g.outWidth(), g.out), DType.FLOAT32, device);
        synchronized (ctx) {
            if (p.forward == null) {
                p.forward = search(p, "forward", device, (h, ws, bytes) -> rankForward(h, p, x, w, y, ws, bytes), (h, id) -> {
                    try (SizeTPointer size = new SizeTPointer(1)) {
                        Driver.checkDnn(cudnnGetConvolutionForwardWorkspaceSize(h, p.x, p.w, p.conv, p.y, id, size),
                                "cudnnGetConvolutionForwardWorkspaceSize");
                        return size.get();
                    }
                });
            }
            Algorithm algo = p.forward;
            if (algo != Algorithm.NONE) {
                ctx.makeCurrent();
                p.math(algo.mathType());
                try (Tensor ws = workspace(algo.workspaceBytes(), device)) {
                    String call = "cudnnConvolutionForward(" + g + ", algorithm " + algo.id() + ")";
                    Driver.checkDnn(cudnnConvolutionForward(cudnn.handle(), one, p.x, ptr(x), p.w, ptr(w), p.conv, algo.id(), ptr(ws),
                            algo.workspaceBytes(), zero, p.y, ptr(y)), call);
                    ctx.checkNow(call);
                }
            }
        }
        if (p.forward == Algorithm.NONE) {
            x.close();
            w.close();
            y.close();
            return ReferenceConvolution.INSTANCE.forward(a);
        }
        if (a.bias() != null) y.addInPlace(a.bias());
        return new Forward(y, new Kept(x, w, p));
    }

    @Override
    public Grads backward(Args a, Forward f, Tensor gradOut, boolean input, boolean weight, boolean bias) {
        if (!(f.saved() instanceof Kept)) return ReferenceConvolution.INSTANCE.backward(a, f, gradOut, input, weight, bias);
        Kept s = (Kept) f.saved();
        Geometry g = s.plan.g;
        Tensor dx = null, dw = null, db = null;
        try (Tensor dy = gradOut.contiguous()) {
            if (input) dx = backwardData(s, dy);
            if (weight) dw = backwardFilter(s, dy);
            if (bias && a.bias() != null) {
                try (Tensor rows = dy.reshape(g.batch * g.outHeight() * g.outWidth(), g.out)) {
                    db = rows.sum(0, false);
                }
            }
        }
        if ((input && dx == null) || (weight && dw == null)) {
            // cuDNN offered no algorithm for this direction: the reference computes it from a forward of its own
            Grads r = ReferenceConvolution.INSTANCE.backward(a, ReferenceConvolution.INSTANCE.forward(a), gradOut, input && dx == null,
                    weight && dw == null, false);
            if (dx == null) dx = r.dx();
            if (dw == null) dw = r.dweight();
        }
        return new Grads(dx, dw, db);
    }

    /** dx [B, H*W, in] from dy and the kept weight; null where cuDNN has no algorithm. */
    private Tensor backwardData(Kept s, Tensor dy) {
        Plan p = s.plan;
        Geometry g = p.g;
        Device device = dy.device();
        Tensor dx = Tensor.empty(Shape.of(g.batch, g.height * g.width, g.in), DType.FLOAT32, device);
        synchronized (ctx) {
            if (p.backwardData == null) {
                p.backwardData = search(p, "backward-data", device, (h, ws, bytes) -> rankBackwardData(h, p, s.weight, dy, dx, ws, bytes),
                        (h, id) -> {
                            try (SizeTPointer size = new SizeTPointer(1)) {
                                Driver.checkDnn(cudnnGetConvolutionBackwardDataWorkspaceSize(h, p.w, p.y, p.conv, p.x, id, size),
                                        "cudnnGetConvolutionBackwardDataWorkspaceSize");
                                return size.get();
                            }
                        });
            }
            Algorithm algo = p.backwardData;
            if (algo != Algorithm.NONE) {
                ctx.makeCurrent();
                p.math(algo.mathType());
                try (Tensor ws = workspace(algo.workspaceBytes(), device)) {
                    String call = "cudnnConvolutionBackwardData(" + g + ", algorithm " + algo.id() + ")";
                    Driver.checkDnn(cudnnConvolutionBackwardData(cudnn.handle(), one, p.w, ptr(s.weight), p.y, ptr(dy), p.conv, algo.id(),
                            ptr(ws), algo.workspaceBytes(), zero, p.x, ptr(dx)), call);
                    ctx.checkNow(call);
                }
                return dx;
            }
        }
        dx.close();
        return null;
    }

    /** dweight [out, in / groups, k, k] (a view of the KRSC result) from dy and the kept x; null where cuDNN has no algorithm. */
    private Tensor backwardFilter(Kept s, Tensor dy) {
        Plan p = s.plan;
        Geometry g = p.g;
        Device device = dy.device();
        Tensor dw = Tensor.empty(Shape.of(g.out, g.kernel, g.kernel, g.in / g.groups), DType.FLOAT32, device);
        synchronized (ctx) {
            if (p.backwardFilter == null) {
                p.backwardFilter = search(p, "backward-filter", device, (h, ws, bytes) -> rankBackwardFilter(h, p, s.x, dy, dw, ws, bytes),
                        (h, id) -> {
                            try (SizeTPointer size = new SizeTPointer(1)) {
                                Driver.checkDnn(cudnnGetConvolutionBackwardFilterWorkspaceSize(h, p.x, p.y, p.conv, p.w, id, size),
                                        "cudnnGetConvolutionBackwardFilterWorkspaceSize");
                                return size.get();
                            }
                        });
            }
            Algorithm algo = p.backwardFilter;
            if (algo != Algorithm.NONE) {
                ctx.makeCurrent();
                p.math(algo.mathType());
                try (Tensor ws = workspace(algo.workspaceBytes(), device)) {
                    String call = "cudnnConvolutionBackwardFilter(" + g + ", algorithm " + algo.id() + ")";
                    Driver.checkDnn(cudnnConvolutionBackwardFilter(cudnn.handle(), one, p.x, ptr(s.x), p.y, ptr(dy), p.conv, algo.id(),
                            ptr(ws), algo.workspaceBytes(), zero, p.w, ptr(dw)), call);
                    ctx.checkNow(call);
                }
                try (dw) {
                    return dw.permute(0, 3, 1, 2);
                }
            }
        }
        dw.close();
        return null;
    }

    /** cuDNN's ranking of one direction's algorithms, fastest first; ws/bytes the workspace Find may use (null/0 for the heuristics). */
    private interface Ranking {
        List<Candidate> rank(cudnnContext h, Pointer ws, long bytes);
    }

    /** The workspace one algorithm needs under the math type now set. */
    private interface WorkspaceSize {
        long bytes(cudnnContext h, int algo);
    }

    /**
     * The algorithm of one direction of p: cuDNN ranks them (Find measures on the call's own buffers,
     * writing its output), {@link #choose} picks one; NONE, said once, where none qualifies or the
     * search fails. Under the context's lock.
     */
    private Algorithm search(Plan p, String direction, Device device, Ranking ranking, WorkspaceSize size) {
        cudnnContext h = cudnn.handle();
        ctx.makeCurrent();
        long limit = Math.min(Math.min(WORKSPACE_LIMIT, 4L * Integer.MAX_VALUE), ctx.allocator().memInfo()[0] / 2);
        try {
            p.math(ctx.tf32() ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH);
            List<Candidate> ranked;
            if (HEURISTICS) {
                ranked = ranking.rank(h, null, 0);
            } else {
                // Find runs and times kernels, blocking; what is queued (the inputs it reads) must be done first
                ctx.synchronize();
                try (Tensor ws = workspace(limit, device)) {
                    ranked = ranking.rank(h, ptr(ws), ws == null ? 0 : limit);
                }
            }
            Candidate c = choose(ranked, limit, ctx.tf32());
            if (c != null) {
                int math = ctx.tf32() ? c.mathType() : CUDNN_FMA_MATH;
                p.math(math);
                return new Algorithm(c.algo(), math, Math.max(c.memory(), size.bytes(h, c.algo())));
            }
            say("cuDNN has no " + direction + " algorithm for " + p.g + " within a workspace of " + (limit >> 20) + " MiB (ranked: " + ranked + ")");
        } catch (DeviceOutOfMemoryException e) {
            throw e;
        } catch (CudaException e) {
            say("cuDNN's " + direction + " algorithm search failed for " + p.g + " (" + e.getMessage() + ")");
        }
        return Algorithm.NONE;
    }

    private List<Candidate> rankForward(cudnnContext h, Plan p, Tensor x, Tensor w, Tensor y, Pointer ws, long bytes) {
        int[] max = new int[1], returned = new int[1];
        Driver.checkDnn(cudnnGetConvolutionForwardAlgorithmMaxCount(h, max), "cudnnGetConvolutionForwardAlgorithmMaxCount");
        try (cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(max[0])) {
            Driver.checkDnn(HEURISTICS ? cudnnGetConvolutionForwardAlgorithm_v7(h, p.x, p.w, p.conv, p.y, max[0], returned, perf)
                    : cudnnFindConvolutionForwardAlgorithmEx(h, p.x, ptr(x), p.w, ptr(w), p.conv, p.y, ptr(y), max[0], returned, perf, ws, bytes),
                    HEURISTICS ? "cudnnGetConvolutionForwardAlgorithm_v7" : "cudnnFindConvolutionForwardAlgorithmEx");
            List<Candidate> ranked = new ArrayList<>();
            for (int i = 0; i < returned[0]; i++) {
                cudnnConvolutionFwdAlgoPerf_t r = perf.getPointer(i);
                ranked.add(new Candidate(r.algo(), r.status(), r.memory(), r.determinism() == CUDNN_DETERMINISTIC, r.mathType()));
            }
            return ranked;
        }
    }

    private List<Candidate> rankBackwardData(cudnnContext h, Plan p, Tensor w, Tensor dy, Tensor dx, Pointer ws, long bytes) {
        int[] max = new int[1], returned = new int[1];
        Driver.checkDnn(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, max), "cudnnGetConvolutionBackwardDataAlgorithmMaxCount");
        try (cudnnConvolutionBwdDataAlgoPerf_t perf = new cudnnConvolutionBwdDataAlgoPerf_t(max[0])) {
            Driver.checkDnn(HEURISTICS ? cudnnGetConvolutionBackwardDataAlgorithm_v7(h, p.w, p.y, p.conv, p.x, max[0], returned, perf)
                    : cudnnFindConvolutionBackwardDataAlgorithmEx(h, p.w, ptr(w), p.y, ptr(dy), p.conv, p.x, ptr(dx), max[0], returned, perf, ws,
                            bytes),
                    HEURISTICS ? "cudnnGetConvolutionBackwardDataAlgorithm_v7" : "cudnnFindConvolutionBackwardDataAlgorithmEx");
            List<Candidate> ranked = new ArrayList<>();
            for (int i = 0; i < returned[0]; i++) {
                cudnnConvolutionBwdDataAlgoPerf_t r = perf.getPointer(i);
                ranked.add(new Candidate(r.algo(), r.status(), r.memory(), r.determinism() == CUDNN_DETERMINISTIC, r.mathType()));
            }
            return ranked;
        }
    }

    private List<Candidate> rankBackwardFilter(cudnnContext h, Plan p, Tensor x, Tensor dy, Tensor dw, Pointer ws, long bytes) {
        int[] max = new int[1], returned = new int[1];
        Driver.checkDnn(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, max), "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount");
        try (cudnnConvolutionBwdFilterAlgoPerf_t perf = new cudnnConvolutionBwdFilterAlgoPerf_t(max[0])) {
            Driver.checkDnn(HEURISTICS ? cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, p.x, p.y, p.conv, p.w, max[0], returned, perf)
                    : cudnnFindConvolutionBackwardFilterAlgorithmEx(h, p.x, ptr(x), p.y, ptr(dy), p.conv, p.w, ptr(dw), max[0], returned, perf,
                            ws, bytes),
                    HEURISTICS ? "cudnnGetConvolutionBackwardFilterAlgorithm_v7" : "cudnnFindConvolutionBackwardFilterAlgorithmEx");
            List<Candidate> ranked = new ArrayList<>();
            for (int i = 0; i < returned[0]; i++) {
                cudnnConvolutionBwdFilterAlgoPerf_t r = perf.getPointer(i);
                ranked.add(new Candidate(r.algo(), r.status(), r.memory(), r.determinism() == CUDNN_DETERMINISTIC, r.mathType()));
            }
            return ranked;
        }
    }

    /** A temporary buffer of at least bytes from the caching allocator (null for none), closed by the caller after the call. */
    private static Tensor workspace(long bytes, Device device) {
        return bytes <= 0 ? null : Tensor.empty(Shape.of((int) ((bytes + 3) / 4)), DType.FLOAT32, device);
    }

    /** A tensor's device address as the Pointer the binding takes (never dereferenced on the host); null for none. */
    private static Pointer ptr(Tensor t) {
        return t == null ? null : CudaBackend.device(CudaBackend.addr(t));
    }

    private static void say(String what) {
        System.err.println("dinoj: " + what + "; the reference convolution runs it");
    }
}
