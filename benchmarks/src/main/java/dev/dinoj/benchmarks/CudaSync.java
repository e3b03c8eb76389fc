package dev.dinoj.benchmarks;

import dev.dinoj.cuda.CudaBackend;
import dev.dinoj.cuda.CudaKernels;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;

/**
 * What the CUDA benchmarks share. Kernels are launched asynchronously on the device's stream, so a
 * benchmark invocation launches {@link #REPS} times and then waits for the stream: the time measured
 * is device time plus one synchronisation per {@code REPS} launches.
 */
final class CudaSync {
    /** Launches per invocation (each benchmark declares @OperationsPerInvocation(REPS)). */
    static final int REPS = 20;

    private CudaSync() {}

    /** The first GPU; fails the benchmark's setup with the reason when there is none. */
    static Device device() {
        return Device.cuda();
    }

    static CudaKernels kernels(Device d) {
        return CudaKernels.of(d);
    }

    static void synchronize(Device d) {
        ((CudaBackend) d.backend()).context().synchronize();
    }

    /** A standard-normal tensor on the device (generated on the CPU, uploaded once). */
    static Tensor randn(Device d, Generator g, int... dims) {
        return TensorScope.escape(Tensor.randn(g, dims).to(d));
    }

    /**
     * Runs body REPS times, each in its own scope (its results go back to the allocator right after
     * the launch: releases are stream-ordered, so the next launch reuses the blocks safely), then
     * waits for the device.
     */
    static void repeat(Device d, Runnable body) {
        for (int i = 0; i < REPS; i++) {
            try (TensorScope scope = TensorScope.open()) {
                body.run();
            }
        }
        synchronize(d);
    }
}
