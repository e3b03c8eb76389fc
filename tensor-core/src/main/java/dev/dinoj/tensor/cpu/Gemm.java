package dev.dinoj.tensor.cpu;

import java.util.Locale;

/**
 * Chooses the GEMM kernel once: the Vector API kernel when the runtime has jdk.incubator.vector and
 * 256-bit or wider vectors, else the portable kernel. The system property {@code dinoj.gemm}
 * ({@code portable} or {@code vector}) overrides the choice, e.g. to compare them in benchmarks.
 */
public final class Gemm {
    private static final GemmKernel KERNEL = choose();

    private Gemm() {}

    private static GemmKernel choose() {
        String want = System.getProperty("dinoj.gemm", "auto").trim().toLowerCase(Locale.ROOT);
        boolean vectorOk = vectorModulePresent() && VectorProbe.usable();
        switch (want) {
            case "portable":
                return new PortableGemmKernel();
            case "vector":
                if (!vectorOk) {
                    throw new IllegalStateException("dinoj.gemm=vector, but the Vector API is unavailable: run java with"
                            + " --add-modules jdk.incubator.vector on a CPU with 256-bit vectors");
                }
                return VectorProbe.kernel();
            case "auto":
                return vectorOk ? VectorProbe.kernel() : new PortableGemmKernel();
            default:
                throw new IllegalArgumentException("system property dinoj.gemm must be auto, portable or vector, got '" + want + "'");
        }
    }

    private static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** Holder that touches VectorGemmKernel only after the module check passed. */
    private static final class VectorProbe {
        static boolean usable() {
            try {
                return VectorGemmKernel.usable();
            } catch (LinkageError e) {
                return false;
            }
        }

        static GemmKernel kernel() {
            return new VectorGemmKernel();
        }
    }

    /** Name of the kernel in use ("portable" or "vector-256", ...). */
    public static String kernelName() {
        return KERNEL.name();
    }

    /**
     * C = A * B (or C += A * B) with A[i, k] = a[aOff + i*ars + k*acs], B[k, j] = b[bOff + k*brs + j*bcs]
     * and C[i, j] = c[cOff + i*ldc + j].
     */
    public static void multiply(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int brs, int bcs,
                                float[] c, int cOff, int ldc, boolean accumulate, boolean parallel) {
        KERNEL.multiply(m, n, k, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, accumulate, null, 0, parallel);
    }

    /** C = A * B + bias, bias[j] = bias[biasOff + j] added to every row after the products (the same bits as a separate add). */
    public static void multiplyBias(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int brs, int bcs,
                                    float[] c, int cOff, int ldc, float[] bias, int biasOff, boolean parallel) {
        KERNEL.multiply(m, n, k, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, false, bias, biasOff, parallel);
    }
}
