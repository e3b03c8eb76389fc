package dev.dinoj.cuda;

import static org.bytedeco.cuda.global.cudnn.CUDNN_BATCHNORM_SPATIAL;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DATA_FLOAT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_NHWC;
import static org.bytedeco.cuda.global.cudnn.cudnnBatchNormalizationBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnBatchNormalizationForwardTraining;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDeriveBNTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetTensor4dDescriptor;

import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.UnaryOp;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Batch norm in training of x [N, C] (see {@link dev.dinoj.tensor.Backend#batchNorm}) through cuDNN's
 * spatial batch norm on an N x C x 1 x 1 NHWC tensor: per-channel statistics over the N rows, the same
 * memory as our row-major [N, C].
 *
 * <p>The biased variance comes from cuDNN's running variance, which is unbiased: with an average
 * factor of 1 it is this batch's, times N / (N - 1), into a zeroed buffer, and is scaled back by
 * (N - 1) / N. Not from the saved inverse std: 1 / rstd^2 - eps cancels when the variance is far below
 * eps (a near-constant channel), and N = 1 (no unbiased estimate at all) is left to the default.
 * Missing weight or bias become ones or zeros; the ReLU is ours, applied after, and in the backward the
 * gradient is masked where the affine output was not positive before cuDNN sees it, as the default does.
 *
 * <p>Each method answers whether it ran; the backend runs the interface's default where it did not:
 * cuDNN unavailable, a tensor not contiguous, N = 1, or N * C past 32-bit indexing.
 *
 * <p>cuDNN 9 deprecates this legacy API in favour of its graph API, but still ships it (libcudnn_cnn,
 * libcudnn_ops); the graph API through JavaCPP's raw backend descriptors would be many times the code.
 */
@SuppressWarnings("deprecation")
final class CudnnBatchNorm {
    /**
     * cuDNN's backward takes an epsilon but, given the saved mean and inverse std (always passed here),
     * has nothing to use it on; Backend's contract does not carry the forward's eps, so a nominal one.
     */
    private static final double SAVED_STATISTICS_EPSILON = 1e-5;

    private final CudaContext ctx;
    private final Cudnn cudnn;
    private final FloatPointer one = new FloatPointer(1f), zero = new FloatPointer(0f);

    CudnnBatchNorm(CudaContext ctx, Cudnn cudnn) {
        this.ctx = ctx;
        this.cudnn = cudnn;
    }

    /** Whether cuDNN takes x [n, c]: an unbiased variance to scale back (n >= 2) and 32-bit element counts. */
    static boolean fits(int n, int c) {
        return n >= 2 && (long) n * c <= Integer.MAX_VALUE;
    }

    private static boolean dense(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && !t.isContiguous()) return false;
        }
        return true;
    }

    boolean forward(Tensor x, Tensor weight, Tensor bias, float eps, boolean relu, Tensor out, Tensor mean, Tensor var, Tensor rstd) {
        int n = x.size(0), c = x.size(1);
        if (!fits(n, c) || !dense(x, weight, bias, out, mean, var, rstd) || cudnn.handle() == null) return false;
        List<Tensor> temps = new ArrayList<>();
        try {
            Tensor scale = weight != null ? weight : temp(temps, Tensor.ones(Shape.of(c), x.device()));
            Tensor shift = bias != null ? bias : temp(temps, Tensor.zeros(Shape.of(c), x.device()));
            // running averages with factor 1 are (1 - 1) * old + new: zeroed, so a NaN-poisoned buffer cannot leak in as 0 * NaN
            Tensor runningMean = temp(temps, Tensor.zeros(Shape.of(c), x.device()));
            var.fill(0f);
            synchronized (ctx) {
                ctx.makeCurrent();
                try (Descriptors d = new Descriptors(n, c)) {
                    String call = "cudnnBatchNormalizationForwardTraining(" + n + "x" + c + ")";
                    Driver.checkDnn(cudnnBatchNormalizationForwardTraining(cudnn.handle(), CUDNN_BATCHNORM_SPATIAL, one, zero, d.x, ptr(x), d.x,
                            ptr(out), d.channels, ptr(scale), ptr(shift), 1.0, ptr(runningMean), ptr(var), eps, ptr(mean), ptr(rstd)), call);
                    ctx.checkNow(call);
                }
            }
        } finally {
            temps.forEach(Tensor::close);
        }
        var.mulInPlace((float) ((n - 1.0) / n));
        if (relu) out.applyInPlace(UnaryOp.RELU, 0f, 0f);
        return true;
    }

    boolean backward(Tensor x, Tensor weight, Tensor bias, Tensor mean, Tensor rstd, boolean relu, Tensor gradOut, Tensor gradX,
                     Tensor gradWeight, Tensor gradBias) {
        int n = x.size(0), c = x.size(1);
        if (!fits(n, c) || !dense(x, weight, mean, rstd, gradOut, gradX, gradWeight, gradBias) || cudnn.handle() == null) return false;
        List<Tensor> temps = new ArrayList<>();
        try {
            Tensor g = relu ? temp(temps, gradOut.mul(temp(temps, positive(x, weight, bias, mean, rstd, temps)))) : gradOut;
            Tensor scale = weight != null ? weight : temp(temps, Tensor.ones(Shape.of(c), x.device()));
            Tensor dScale = gradWeight != null ? gradWeight : temp(temps, Tensor.empty(Shape.of(c), x.dtype(), x.device()));
            Tensor dShift = gradBias != null ? gradBias : temp(temps, Tensor.empty(Shape.of(c), x.dtype(), x.device()));
            synchronized (ctx) {
                ctx.makeCurrent();
                try (Descriptors d = new Descriptors(n, c)) {
                    String call = "cudnnBatchNormalizationBackward(" + n + "x" + c + ")";
                    Driver.checkDnn(cudnnBatchNormalizationBackward(cudnn.handle(), CUDNN_BATCHNORM_SPATIAL, one, zero, one, zero, d.x, ptr(x), d.x,
                            ptr(g), d.x, ptr(gradX), d.channels, ptr(scale), ptr(dScale), ptr(dShift), SAVED_STATISTICS_EPSILON, ptr(mean),
                            ptr(rstd)), call);
                    ctx.checkNow(call);
                }
            }
        } finally {
            temps.forEach(Tensor::close);
        }
        return true;
    }

    /** 1 where the affine output (before the ReLU) was positive, else 0: the forward's ReLU mask, recomputed. */
    private static Tensor positive(Tensor x, Tensor weight, Tensor bias, Tensor mean, Tensor rstd, List<Tensor> temps) {
        Tensor y = temp(temps, temp(temps, x.sub(mean)).mul(rstd));
        if (weight != null) y = temp(temps, y.mul(weight));
        if (bias != null) y = temp(temps, y.add(bias));
        return y.gt(0f);
    }

    private static Tensor temp(List<Tensor> temps, Tensor t) {
        temps.add(t);
        return t;
    }

    private static Pointer ptr(Tensor t) {
        return CudaBackend.device(CudaBackend.addr(t));
    }

    /** x's N x C x 1 x 1 NHWC descriptor (also y's, dy's, dx's) and the 1 x C x 1 x 1 one cuDNN derives for the per-channel vectors. */
    private static final class Descriptors implements AutoCloseable {
        final cudnnTensorStruct x = new cudnnTensorStruct(), channels = new cudnnTensorStruct();

        Descriptors(int n, int c) {
            Driver.checkDnn(cudnnCreateTensorDescriptor(x), "cudnnCreateTensorDescriptor");
            try {
                Driver.checkDnn(cudnnCreateTensorDescriptor(channels), "cudnnCreateTensorDescriptor");
                Driver.checkDnn(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, n, c, 1, 1),
                        "cudnnSetTensor4dDescriptor(" + n + "x" + c + "x1x1)");
                Driver.checkDnn(cudnnDeriveBNTensorDescriptor(channels, x, CUDNN_BATCHNORM_SPATIAL), "cudnnDeriveBNTensorDescriptor");
            } catch (CudaException e) {
                close();
                throw e;
            }
        }

        @Override
        public void close() {
            if (!channels.isNull()) cudnnDestroyTensorDescriptor(channels);
            cudnnDestroyTensorDescriptor(x);
        }
    }
}
