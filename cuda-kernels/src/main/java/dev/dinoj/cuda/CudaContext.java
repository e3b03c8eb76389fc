package dev.dinoj.cuda;

import static org.bytedeco.cuda.global.cudart.*;
import static org.bytedeco.cuda.global.cublas.*;

import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.DeviceUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Everything one GPU needs, opened once: the device's primary context, one stream on which every op
 * of this device is ordered, the kernels' module loaded from the fatbin resource, a cuBLAS handle
 * bound to the stream, the caching allocator and a pinned host staging buffer for transfers.
 * Launches and transfers take this object's lock, so tensors may be used from several threads.
 *
 * <p>With {@code -Ddinoj.cuda.syncCheck=true} every launch (and GEMM) is followed by a stream
 * synchronisation and an error check, so an asynchronous fault is reported by the kernel that caused
 * it rather than by the next copy; slow, for debugging only.
 */
public final class CudaContext implements AutoCloseable {
    static final String FATBIN = "dinoj_kernels.fatbin";
    static final String SYNC_CHECK = "dinoj.cuda.syncCheck";
    /** The one switch for TF32 tensor cores: cuBLAS's GEMMs and cuDNN's convolutions follow it alike. */
    static final String TF32 = "dinoj.cuda.tf32";
    /** gridDim.y and gridDim.z are limited to 65535 blocks; gridDim.x to 2^31 - 1. */
    static final int MAX_GRID_Y = 65535;
    private static final String EARLIER = " (an earlier kernel may have failed; -D" + SYNC_CHECK + "=true names it)";
    private static final long STAGING_BYTES = 8L << 20;

    private final Device device;
    private final int ordinal;
    private final int deviceHandle;
    private final boolean syncCheck = Boolean.getBoolean(SYNC_CHECK);
    private final boolean tf32 = Boolean.getBoolean(TF32);
    private volatile boolean closed;
    private final CUctx_st ctx = new CUctx_st();
    private final CUstream_st stream = new CUstream_st();
    private final CUmod_st module = new CUmod_st();
    private final cublasContext blas = new cublasContext();
    /** cuSOLVER's dense handle, created on first use (only the Cholesky-based ops need it; its library loads then). */
    private org.bytedeco.cuda.cusolver.cusolverDnContext solver;
    /** cuDNN's handle, created on first use likewise (convolution and batch norm; libcudnn is a separate install). */
    private org.bytedeco.cuda.cudnn.cudnnContext dnn;
    private final Map<String, CUfunc_st> functions = new HashMap<>();
    private final DeviceAllocator allocator;
    private final KernelArgs args = new KernelArgs();
    private final Pointer staging = new Pointer();
    private final String name;
    private final int computeMajor, computeMinor;
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);

    private CudaContext(Device device, int ordinal) {
        this.device = device;
        this.ordinal = ordinal;
        int[] count = new int[1];
        Driver.check(cuDeviceGetCount(count), "cuDeviceGetCount");
        if (ordinal >= count[0]) {
            throw new DeviceUnavailableException("CUDA device " + ordinal + " does not exist: this machine has " + count[0] + " GPU(s)");
        }
        int[] dev = new int[1];
        Driver.check(cuDeviceGet(dev, ordinal), "cuDeviceGet");
        deviceHandle = dev[0];
        Driver.check(cuDevicePrimaryCtxRetain(ctx, dev[0]), "cuDevicePrimaryCtxRetain");
        makeCurrent();
        byte[] nameBytes = new byte[256];
        Driver.check(cuDeviceGetName(nameBytes, nameBytes.length, dev[0]), "cuDeviceGetName");
        int len = 0;
        while (len < nameBytes.length && nameBytes[len] != 0) len++;
        name = new String(nameBytes, 0, len, java.nio.charset.StandardCharsets.US_ASCII);
        int[] v = new int[1];
        Driver.check(cuDeviceGetAttribute(v, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev[0]), "cuDeviceGetAttribute");
        computeMajor = v[0];
        Driver.check(cuDeviceGetAttribute(v, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev[0]), "cuDeviceGetAttribute");
        computeMinor = v[0];
        Driver.check(cuStreamCreate(stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        loadModule();
        Driver.checkBlas(cublasCreate_v2(blas), "cublasCreate");
        Driver.checkBlas(cublasSetStream_v2(blas, stream), "cublasSetStream");
        Driver.checkBlas(cublasSetMathMode(blas, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
        Driver.check(cuMemAllocHost(staging, STAGING_BYTES), "cuMemAllocHost");
        allocator = new DeviceAllocator(this);
    }

    /**
     * Opens device {@code ordinal}, or throws a {@link DeviceUnavailableException} saying what is
     * missing: the JavaCPP CUDA libraries, the NVIDIA driver, a GPU, cuBLAS or the kernels' fatbin.
     */
    static CudaContext open(Device device, int ordinal) {
        if (CudaContext.class.getResource(FATBIN) == null) {
            throw new DeviceUnavailableException("CUDA kernels not built: " + FATBIN + " is missing from the cuda-kernels jar"
                    + " (build it on a machine with nvcc on PATH)");
        }
        try {
            Loader.load(org.bytedeco.cuda.global.cudart.class);
        } catch (Throwable e) {
            throw new DeviceUnavailableException("CUDA unavailable: the CUDA driver/runtime libraries could not be loaded"
                    + " (is the NVIDIA driver installed? libcuda.so.1 and libcudart must be on the library path): " + rootMessage(e), e);
        }
        try {
            Loader.load(org.bytedeco.cuda.global.cublas.class);
        } catch (Throwable e) {
            throw new DeviceUnavailableException("CUDA unavailable: libcublas could not be loaded: " + rootMessage(e), e);
        }
        int r = cuInit(0);
        if (r != CUDA_SUCCESS) {
            throw new DeviceUnavailableException("CUDA unavailable: cuInit failed with " + Driver.errorName(r)
                    + (r == CUDA_ERROR_NO_DEVICE ? " (the driver sees no GPU)" : ""));
        }
        try {
            return new CudaContext(device, ordinal);
        } catch (CudaException e) {
            throw new DeviceUnavailableException("CUDA device " + ordinal + " could not be opened: " + e.getMessage(), e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) t = t.getCause();
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    private void loadModule() {
        byte[] image;
        try (InputStream in = CudaContext.class.getResourceAsStream(FATBIN)) {
            image = in.readAllBytes();
        } catch (IOException | NullPointerException e) {
            throw new DeviceUnavailableException("CUDA kernels could not be read from " + FATBIN, e);
        }
        try (BytePointer p = new BytePointer(image.length)) {
            p.put(image, 0, image.length);
            int r = cuModuleLoadData(module, p);
            if (r != CUDA_SUCCESS) {
                throw new DeviceUnavailableException("CUDA kernels could not be loaded on " + name + " (compute capability "
                        + computeMajor + "." + computeMinor + "): " + Driver.errorName(r)
                        + "; the fatbin has code for sm_80, sm_86, sm_89, sm_90 and PTX for newer GPUs");
            }
        }
    }

    public Device device() {
        return device;
    }

    public String name() {
        return name;
    }

    public DeviceAllocator allocator() {
        return allocator;
    }

    CUstream_st stream() {
        return stream;
    }

    cublasContext blas() {
        return blas;
    }

    /**
     * The cuSOLVER dense handle on this context's stream, created (and libcusolver loaded) on first use:
     * a machine whose CUDA installation lacks cuSOLVER runs everything else.
     */
    synchronized org.bytedeco.cuda.cusolver.cusolverDnContext solver() {
        makeCurrent();
        if (solver == null) {
            try {
                Loader.load(org.bytedeco.cuda.global.cusolver.class);
            } catch (Throwable e) {
                throw new CudaException("cuSOLVER unavailable on " + this + ": libcusolver could not be loaded: " + rootMessage(e), -1);
            }
            org.bytedeco.cuda.cusolver.cusolverDnContext h = new org.bytedeco.cuda.cusolver.cusolverDnContext();
            Driver.checkSolver(org.bytedeco.cuda.global.cusolver.cusolverDnCreate(h), "cusolverDnCreate");
            Driver.checkSolver(org.bytedeco.cuda.global.cusolver.cusolverDnSetStream(h, stream), "cusolverDnSetStream");
            solver = h;
        }
        return solver;
    }

    /**
     * The cuDNN handle on this context's stream, created (and libcudnn loaded) on first use; throws a
     * {@link CudaException} saying why where it cannot be (callers fall back, see {@link Cudnn}).
     */
    synchronized org.bytedeco.cuda.cudnn.cudnnContext dnn() {
        makeCurrent();
        if (dnn == null) {
            try {
                Loader.load(org.bytedeco.cuda.global.cudnn.class);
            } catch (Throwable e) {
                throw new CudaException("libcudnn could not be loaded: " + rootMessage(e), -1);
            }
            org.bytedeco.cuda.cudnn.cudnnContext h = new org.bytedeco.cuda.cudnn.cudnnContext();
            Driver.checkDnn(org.bytedeco.cuda.global.cudnn.cudnnCreate(h), "cudnnCreate");
            int r = org.bytedeco.cuda.global.cudnn.cudnnSetStream(h, stream);
            if (r != 0) {
                org.bytedeco.cuda.global.cudnn.cudnnDestroy(h);
                Driver.checkDnn(r, "cudnnSetStream");
            }
            dnn = h;
        }
        return dnn;
    }

    /** Whether GEMMs and convolutions may round their inputs to TF32 ({@code -Ddinoj.cuda.tf32=true}); FP32 otherwise. */
    boolean tf32() {
        return tf32;
    }

    /** Whether every launch is synchronised and checked at once ({@code -Ddinoj.cuda.syncCheck=true}). */
    boolean syncCheck() {
        return syncCheck;
    }

    /** Binds this device's context to the calling thread (once per thread); refuses a closed context. */
    void makeCurrent() {
        if (closed) throw new IllegalStateException("the CUDA context of " + this + " is closed");
        if (!current.get()) {
            Driver.check(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
            current.set(true);
        }
    }

    synchronized CUfunc_st function(KernelSignature kernel) {
        makeCurrent();
        CUfunc_st f = functions.get(kernel.name);
        if (f == null) {
            f = new CUfunc_st();
            Driver.check(cuModuleGetFunction(f, module, kernel.name), "cuModuleGetFunction(" + kernel.name + ")");
            functions.put(kernel.name, f);
        }
        return f;
    }

    /** Allows a kernel more than 48 KB of dynamic shared memory (once per kernel and size). */
    synchronized void allowSharedMemory(KernelSignature kernel, int bytes) {
        makeCurrent();
        if (bytes > 48 * 1024) {
            Driver.check(cuFuncSetAttribute(function(kernel), CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
                    "cuFuncSetAttribute(" + kernel.name + ", " + bytes + " bytes of shared memory)");
        }
    }

    /** Test hook: told of every kernel launched (the conformance test checks that its cases launch the whole catalogue). */
    volatile java.util.function.Consumer<KernelSignature> launchObserver;

    /** Fresh arguments for one launch; use inside {@code synchronized (context)}. */
    KernelArgs args() {
        return args.reset();
    }

    /**
     * Launches {@code kernel} on the stream with the arguments last built by {@link #args()}, after
     * checking their types against the kernel's signature.
     */
    synchronized void launch(KernelSignature kernel, long gridX, int gridY, int block, int sharedBytes) {
        launch(kernel, gridX, gridY, block, 1, sharedBytes);
    }

    /** 2-D block launch (block = bx x by threads). */
    synchronized void launch2d(KernelSignature kernel, long gridX, int bx, int by) {
        launch(kernel, gridX, 1, bx, by, 0);
    }

    private void launch(KernelSignature kernel, long gridX, int gridY, int bx, int by, int sharedBytes) {
        kernel.check(args.types());
        if (gridX <= 0 || gridY <= 0) return;
        java.util.function.Consumer<KernelSignature> observer = launchObserver;
        if (observer != null) observer.accept(kernel);
        String what = launchName(kernel.name, gridX, gridY, bx, by, sharedBytes);
        if (gridX > Integer.MAX_VALUE || gridY > MAX_GRID_Y) {
            throw new IllegalArgumentException(what + ": the grid exceeds CUDA's limits (x < 2^31, y <= " + MAX_GRID_Y + ")");
        }
        CUfunc_st f = function(kernel); // makes the context current
        // A PointerPointer binds the overload that passes the table itself as the void** (see KernelArgs).
        Driver.check(cuLaunchKernel(f, (int) gridX, gridY, 1, bx, by, 1, sharedBytes, stream, args.pointers(), (PointerPointer<?>) null),
                "cuLaunchKernel(" + what + ")");
        checkNow(what);
    }

    /** The launch as CUDA writes it, for messages: {@code name<<<(gridX, gridY), (bx, by), shared bytes>>>}. */
    static String launchName(String kernel, long gridX, int gridY, int bx, int by, int sharedBytes) {
        return kernel + "<<<(" + gridX + ", " + gridY + "), (" + bx + ", " + by + "), " + sharedBytes + " B>>>";
    }

    /** Under {@code -Ddinoj.cuda.syncCheck=true}: waits for the stream and reports a fault as {@code what}'s. */
    void checkNow(String what) {
        if (syncCheck) Driver.check(cuStreamSynchronize(stream), what + " (synchronised at once: -D" + SYNC_CHECK + "=true)");
    }

    /** Waits for all work queued on this device; reports asynchronous kernel faults. */
    public synchronized void synchronize() {
        makeCurrent();
        Driver.check(cuStreamSynchronize(stream), "cuStreamSynchronize" + EARLIER);
    }

    /** Copies {@code count} 4-byte elements between a Java array (from element {@code from}) and the staging buffer. */
    private interface HostCopy {
        void run(int from, int count);
    }

    /**
     * Moves {@code len} 4-byte elements between device address {@code device} and a host array through
     * the pinned staging buffer, in chunks; {@code host} fills the buffer before an upload and empties
     * it after a download. Waits for the stream, so a download sees every earlier op.
     */
    private void staged(long device, int len, boolean toDevice, HostCopy host) {
        makeCurrent();
        int chunk = (int) (STAGING_BYTES / 4);
        for (int done = 0; done < len; done += chunk) {
            int n = Math.min(chunk, len - done);
            if (toDevice) {
                host.run(done, n);
                Driver.check(cuMemcpyHtoDAsync(device + 4L * done, staging, 4L * n, stream), "cuMemcpyHtoDAsync");
                Driver.check(cuStreamSynchronize(stream), "cuStreamSynchronize");
            } else {
                Driver.check(cuMemcpyDtoHAsync(staging, device + 4L * done, 4L * n, stream), "cuMemcpyDtoHAsync");
                Driver.check(cuStreamSynchronize(stream), "cuStreamSynchronize" + EARLIER);
                host.run(done, n);
            }
        }
    }

    synchronized void upload(long dst, float[] src, int off, int len) {
        try (FloatPointer host = new FloatPointer(staging)) {
            staged(dst, len, true, (from, n) -> host.put(src, off + from, n));
        }
    }

    synchronized void upload(long dst, int[] src, int off, int len) {
        try (IntPointer host = new IntPointer(staging)) {
            staged(dst, len, true, (from, n) -> host.put(src, off + from, n));
        }
    }

    /** Uploads a small table of 8-byte values (at most the staging buffer's size). */
    synchronized void upload(long dst, long[] src) {
        if (8L * src.length > STAGING_BYTES) throw new IllegalArgumentException("table of " + src.length + " values exceeds the staging buffer");
        try (LongPointer host = new LongPointer(staging)) {
            staged(dst, 2 * src.length, true, (from, n) -> host.put(src, 0, src.length));
        }
    }

    synchronized void download(long src, float[] dst, int off, int len) {
        try (FloatPointer host = new FloatPointer(staging)) {
            staged(src, len, false, (from, n) -> host.get(dst, off + from, n));
        }
    }

    synchronized void download(long src, int[] dst, int off, int len) {
        try (IntPointer host = new IntPointer(staging)) {
            staged(src, len, false, (from, n) -> host.get(dst, off + from, n));
        }
    }

    synchronized void copyDeviceToDevice(long dst, long src, long bytes) {
        makeCurrent();
        Driver.check(cuMemcpyDtoDAsync(dst, src, bytes, stream), "cuMemcpyDtoDAsync");
    }

    /**
     * Frees everything this context opened, in reverse order: cached device memory, the cuBLAS handle,
     * the staging buffer, the module, the stream, and its hold on the device's primary context (other
     * holders keep it alive). Runs every step even when one fails, then reports the failures. A second
     * call does nothing; any other use afterwards throws IllegalStateException.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        makeCurrent();
        List<String> failures = new ArrayList<>();
        note(failures, cuStreamSynchronize(stream), "cuStreamSynchronize" + EARLIER);
        try {
            allocator.emptyCache();
        } catch (CudaException e) {
            failures.add(e.getMessage());
        }
        closed = true; // from here on makeCurrent refuses, so nothing can launch on the destroyed stream
        if (dnn != null) {
            int dnnStatus = org.bytedeco.cuda.global.cudnn.cudnnDestroy(dnn);
            if (dnnStatus != 0) failures.add("cudnnDestroy failed: cudnnStatus " + dnnStatus);
        }
        if (solver != null) {
            int solverStatus = org.bytedeco.cuda.global.cusolver.cusolverDnDestroy(solver);
            if (solverStatus != 0) failures.add("cusolverDnDestroy failed: cusolverStatus " + solverStatus);
        }
        int blasStatus = cublasDestroy_v2(blas);
        if (blasStatus != 0) failures.add("cublasDestroy failed: cublasStatus " + blasStatus);
        note(failures, cuMemFreeHost(staging), "cuMemFreeHost");
        note(failures, cuModuleUnload(module), "cuModuleUnload");
        note(failures, cuStreamDestroy(stream), "cuStreamDestroy");
        note(failures, cuDevicePrimaryCtxRelease(deviceHandle), "cuDevicePrimaryCtxRelease");
        current.remove();
        args.close();
        if (!failures.isEmpty()) throw new CudaException("closing " + this + ": " + String.join("; ", failures), -1);
    }

    private static void note(List<String> failures, int result, String call) {
        if (result != CUDA_SUCCESS) failures.add(call + " failed: " + Driver.errorName(result));
    }

    @Override
    public String toString() {
        return device + " (" + name + ", sm_" + computeMajor + computeMinor + ")";
    }
}
