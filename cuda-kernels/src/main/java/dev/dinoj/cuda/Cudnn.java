package dev.dinoj.cuda;

import org.bytedeco.cuda.cudnn.cudnnContext;

/**
 * cuDNN on one device, for the ops that use it ({@link CudnnConvolution}, {@link CudnnBatchNorm}).
 * libcudnn is installed apart from the driver and the toolkit and many machines lack it (the host
 * emulation has none), so a handle that cannot be made is no error: the first ask tries once, a
 * failure is kept and said in one line on stderr, and from then on those ops run their reference
 * compositions without trying again.
 */
final class Cudnn {
    private final CudaContext ctx;
    private cudnnContext handle;
    private String unavailable;

    Cudnn(CudaContext ctx) {
        this.ctx = ctx;
    }

    /** The context's cuDNN handle (bound to its stream), or null where cuDNN cannot be used. */
    cudnnContext handle() {
        // the context's lock, not this object's: callers already hold it around their cuDNN calls
        synchronized (ctx) {
            if (handle == null && unavailable == null) {
                try {
                    handle = ctx.dnn();
                } catch (CudaException | LinkageError e) {
                    unavailable = e.getMessage();
                    System.err.println("dinoj: cuDNN unavailable on " + ctx + " (" + unavailable
                            + "); convolution and batch norm run the reference tensor-op compositions there");
                }
            }
            return handle;
        }
    }

    /** Which path the cuDNN ops take: "cuDNN 9.x.y", or "reference ops (cuDNN unavailable: why)". Asks for the handle. */
    String describe() {
        synchronized (ctx) {
            if (handle() == null) return "reference ops (cuDNN unavailable: " + unavailable + ")";
            long v = org.bytedeco.cuda.global.cudnn.cudnnGetVersion();
            return "cuDNN " + v / 10000 + "." + v % 10000 / 100 + "." + v % 100;
        }
    }
}
