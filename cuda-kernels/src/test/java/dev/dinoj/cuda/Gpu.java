package dev.dinoj.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.DeviceUnavailableException;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;

/** Test support: the GPU (or a skip that says why there is none) and CPU-vs-GPU comparisons. */
final class Gpu {
    private static Device device;
    private static String unavailable;

    private Gpu() {}

    static synchronized Device device() {
        if (device == null && unavailable == null) {
            try {
                device = Device.cuda(0);
            } catch (DeviceUnavailableException e) {
                unavailable = e.getMessage();
            }
        }
        assumeTrue(device != null, () -> "skipped, no usable GPU: " + unavailable);
        return device;
    }

    static Tensor randn(long seed, int... dims) {
        return Tensor.randn(new Generator(seed), dims);
    }

    /** A device tensor of the shape filled with NaN, so that an element a kernel forgets to write fails the comparison. */
    static Tensor poisoned(Tensor like) {
        return Tensor.full(like.shape(), Float.NaN, device());
    }

    static void assertClose(Tensor gpu, Tensor cpu, double tol) {
        assertClose(null, gpu, cpu, tol);
    }

    /** Every element within tol * (1 + |cpu|); {@code what} (may be null) names the output in the failure. */
    static void assertClose(String what, Tensor gpu, Tensor cpu, double tol) {
        String prefix = what == null ? "" : what + ", ";
        assertThat(gpu.shape()).as(prefix + "shape").isEqualTo(cpu.shape());
        float[] g = gpu.toFloatArray(), c = cpu.toFloatArray();
        for (int i = 0; i < c.length; i++) {
            double err = Math.abs(g[i] - c[i]);
            if (!(err <= tol * (1 + Math.abs(c[i])))) {
                throw new AssertionError(prefix + "element " + i + " of " + cpu.shape() + ": gpu " + g[i] + " vs cpu " + c[i] + " (tolerance " + tol + ")");
            }
        }
    }

    /**
     * ||gpu - cpu|| / ||cpu|| at most tol (NaN fails): TESTING.md's measure for GEMM-like work, where an
     * element near zero carries the error of a long sum of large terms.
     */
    static void assertRelativeError(String what, Tensor gpu, Tensor cpu, double tol) {
        assertThat(gpu.shape()).as(what + ", shape").isEqualTo(cpu.shape());
        float[] g = gpu.toFloatArray(), c = cpu.toFloatArray();
        double diff = 0, ref = 0;
        for (int i = 0; i < c.length; i++) {
            diff += ((double) g[i] - c[i]) * ((double) g[i] - c[i]);
            ref += (double) c[i] * c[i];
        }
        double err = Math.sqrt(diff / ref);
        if (!(err <= tol)) throw new AssertionError(what + ": relative error " + err + " exceeds " + tol + " over " + cpu.shape());
    }
}
