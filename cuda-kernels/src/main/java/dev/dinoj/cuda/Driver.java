package dev.dinoj.cuda;

import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.cuGetErrorName;

import org.bytedeco.javacpp.PointerPointer;

/** Result checking for the driver API: every failing call becomes one {@link CudaException} naming it. */
final class Driver {
    private Driver() {}

    static void check(int result, String call) {
        if (result != CUDA_SUCCESS) throw new CudaException(call + " failed: " + errorName(result), result);
    }

    static String errorName(int result) {
        try (PointerPointer<?> p = new PointerPointer<>(1)) {
            if (cuGetErrorName(result, p) == CUDA_SUCCESS && p.get(0) != null) return p.getString(0) + " (" + result + ")";
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            // fall through to the bare code
        }
        return "CUresult " + result;
    }

    static void checkBlas(int status, String call) {
        if (status != 0) throw new CudaException(call + " failed: cublasStatus " + status, status);
    }

    static void checkSolver(int status, String call) {
        if (status != 0) throw new CudaException(call + " failed: cusolverStatus " + status, status);
    }

    /** For cuDNN calls: only reached once libcudnn has loaded (see {@link CudaContext#dnn()}), so its error strings are there. */
    static void checkDnn(int status, String call) {
        if (status != 0) throw new CudaException(call + " failed: " + dnnErrorName(status), status);
    }

    private static String dnnErrorName(int status) {
        try {
            org.bytedeco.javacpp.BytePointer s = org.bytedeco.cuda.global.cudnn.cudnnGetErrorString(status);
            if (s != null && !s.isNull()) return s.getString() + " (" + status + ")";
        } catch (RuntimeException | LinkageError e) {
            // fall through to the bare code
        }
        return "cudnnStatus " + status;
    }
}
