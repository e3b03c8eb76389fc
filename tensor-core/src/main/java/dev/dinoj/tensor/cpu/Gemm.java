package dev.dinoj.tensor.cpu;

import java.util.List;
import java.util.Locale;

/**
 * Chooses the GEMM kernel once per JVM: the Vector API kernel when the runtime has jdk.incubator.vector
 * and 256-bit or wider vectors, else the portable kernel. The vector kernel's register tile and its cache
 * blocking are measured, not guessed ({@link VectorGemmKernel#fastest}): the measurement runs on a
 * background thread at start-up while the 6x2 tile serves, and its winner replaces it when done. Every
 * tile and blocking gives the same bits (the k blocks stay 256 long), so the switch changes speed only,
 * and nobody waits for the JIT to compile three tiles.
 *
 * <p>System properties: {@code dinoj.gemm} ({@code auto}, {@code portable} or {@code vector}) overrides
 * the kernel, e.g. to compare them in benchmarks; {@code dinoj.gemm.tile} (6x2, 12x2, 8x3) fixes the
 * tile and {@code dinoj.gemm.blocking} ("MCxNB", e.g. 96x192; NB 0 for the tile's width) the blocking:
 * both given, nothing is measured.
 */
public final class Gemm {
    private static volatile GemmKernel kernel;
    private static final Thread TUNER;
    private static volatile String measurement = "";

    static {
        String want = System.getProperty("dinoj.gemm", "auto").trim().toLowerCase(Locale.ROOT);
        boolean vectorOk = vectorModulePresent() && VectorProbe.usable();
        Thread tuner = null;
        switch (want) {
            case "portable":
                kernel = new PortableGemmKernel();
                break;
            case "vector":
                if (!vectorOk) {
                    throw new IllegalStateException("dinoj.gemm=vector, but the Vector API is unavailable: run java with"
                            + " --add-modules jdk.incubator.vector on a CPU with 256-bit vectors");
                }
                tuner = VectorProbe.start();
                break;
            case "auto":
                if (vectorOk) tuner = VectorProbe.start();
                else kernel = new PortableGemmKernel();
                break;
            default:
                throw new IllegalArgumentException("system property dinoj.gemm must be auto, portable or vector, got '" + want + "'");
        }
        TUNER = tuner;
    }

    private Gemm() {}

    private static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** Holder that touches the vector classes only after the module check passed. */
    static final class VectorProbe {
        static boolean usable() {
            try {
                return VectorGemmKernel.usable();
            } catch (LinkageError e) {
                return false;
            }
        }

        /**
         * The forced tile, or the 6x2 tile now and the measured one from a daemon thread. The serving tile
         * is warmed up here, before anything else runs on it (the few hundred milliseconds C2 needs to
         * compile it from short calls, see {@link VectorGemmKernel#warmUp()}); the others are warmed up
         * only by the measurement, which nothing else touches.
         */
        static Thread start() {
            String forced = System.getProperty("dinoj.gemm.tile", "").trim();
            int[] blocking = parseBlocking(System.getProperty("dinoj.gemm.blocking", ""), forced);
            if (!forced.isEmpty() && blocking != null) {
                kernel = new VectorGemmKernel(VectorTile.named(forced), blocking).warmUp();
                return null;
            }
            VectorGemmKernel first = new VectorGemmKernel(forced.isEmpty() ? new VectorTile.Tile6x2() : VectorTile.named(forced)).warmUp();
            kernel = first;
            Thread t = new Thread(() -> {
                try {
                    VectorGemmKernel best = forced.isEmpty() ? VectorGemmKernel.fastest(first, blocking) : VectorGemmKernel.fastestBlocking(first);
                    measurement = best.measured();
                    kernel = best;
                } catch (RuntimeException | LinkageError e) {
                    measurement = "measurement failed (" + e + "); kept " + first.name();
                }
            }, "dinoj-gemm-tile-measurement");
            t.setDaemon(true);
            t.start();
            return t;
        }

        /** A {@code dinoj.gemm.blocking} value as {MC, NB}, null when empty; refused unless both fit every tile. */
        static int[] parseBlocking(String property) {
            return parseBlocking(property, "");
        }

        /**
         * The same for a forced tile ({@code dinoj.gemm.tile}; empty when the measurement chooses): then the blocking
         * only has to fit that tile, so the blocking that {@code dino train} prints in the kernel's name
         * ({@code vector-512-6x2-48x32}) can be given back with its tile.
         */
        static int[] parseBlocking(String property, String forcedTile) {
            String value = property.trim();
            if (value.isEmpty()) return null;
            List<VectorTile> tiles = forcedTile.isEmpty() ? VectorTile.all() : List.of(VectorTile.named(forcedTile));
            String[] parts = value.toLowerCase(Locale.ROOT).split("x");
            try {
                if (parts.length == 2) {
                    int[] b = {Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim())};
                    for (VectorTile t : tiles) new VectorGemmKernel(t, b);
                    return b;
                }
            } catch (IllegalArgumentException e) {
                StringBuilder names = new StringBuilder();
                for (VectorTile t : tiles) names.append(names.length() == 0 ? "" : ", ").append(t.mr).append(" x ").append(t.nr);
                throw new IllegalArgumentException("system property dinoj.gemm.blocking must be MCxNB with MC a multiple of every"
                        + " tile's rows and NB of every tile's width (tiles here: " + names + "; NB 0 stands for the tile's width;"
                        + (forcedTile.isEmpty() ? " with dinoj.gemm.tile set, only that tile's)," : ")")
                        + " e.g. 96x192; got '" + value + "'", e);
            }
            throw new IllegalArgumentException("system property dinoj.gemm.blocking must be MCxNB, e.g. 96x192; got '" + value + "'");
        }
    }

    /** Whether the kernel in use is the Vector API one (known without waiting for the tile measurement). */
    static boolean vectorKernel() {
        return kernel instanceof VectorGemmKernel;
    }

    /** Waits (at most a few seconds) for the start-up tile measurement, so that what follows runs on the final kernel. */
    public static void awaitKernelChoice() {
        if (TUNER == null) return;
        try {
            TUNER.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Name of the kernel in use, after the tile measurement ("portable", or "vector-512-12x2": vector bits and register tile). */
    public static String kernelName() {
        awaitKernelChoice();
        return kernel.name();
    }

    /** The start-up measurement behind the tile ("6x2 95.1 GFLOP/s, 12x2 ..."), empty if none was made. */
    public static String kernelMeasurement() {
        awaitKernelChoice();
        return measurement;
    }

    /**
     * C = A * B (or C += A * B) with A[i, k] = a[aOff + i*ars + k*acs], B[k, j] = b[bOff + k*brs + j*bcs]
     * and C[i, j] = c[cOff + i*ldc + j].
     */
    public static void multiply(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int brs, int bcs,
                                float[] c, int cOff, int ldc, boolean accumulate, boolean parallel) {
        kernel.multiply(m, n, k, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, accumulate, null, 0, parallel);
    }

    /** C = A * B + bias, bias[j] = bias[biasOff + j] added to every row after the products (the same bits as a separate add). */
    public static void multiplyBias(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int brs, int bcs,
                                    float[] c, int cOff, int ldc, float[] bias, int biasOff, boolean parallel) {
        kernel.multiply(m, n, k, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, false, bias, biasOff, parallel);
    }
}
