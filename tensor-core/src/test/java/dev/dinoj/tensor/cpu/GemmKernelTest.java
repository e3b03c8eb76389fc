package dev.dinoj.tensor.cpu;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Both GEMM kernels (the vector one with every register tile), directly, on awkward sizes, strides, offsets and with accumulation. */
class GemmKernelTest {
    private static List<GemmKernel> kernels() {
        List<GemmKernel> k = new ArrayList<>();
        k.add(new PortableGemmKernel());
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && VectorGemmKernel.usable()) {
            for (VectorTile t : VectorTile.all()) k.add(new VectorGemmKernel(t));
        }
        return k;
    }

    @Test
    void vectorKernelIsExercisedWhenTheModuleIsPresent() {
        Assumptions.assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "jdk.incubator.vector is not in this JVM (tests normally run with --add-modules jdk.incubator.vector)");
        assertThat(kernels()).extracting(GemmKernel::name).anyMatch(n -> n.startsWith("vector"));
    }

    @Test
    void kernelsMatchNaiveProductForAllLayouts() {
        Random r = new Random(3);
        // odd sizes, and B one or two vector panels wide (n <= 64 with AVX-512, 32 with AVX2), where packing A costs most
        int[][] sizes = {{1, 1, 1}, {5, 3, 2}, {7, 17, 33}, {49, 257, 31}, {100, 600, 130}, {6, 16, 400}, {13, 1600, 3},
            {50, 64, 37}, {101, 32, 70}, {13, 40, 300}, {300, 24, 27}, {12, 48, 1}, {20, 70, 600}, {4, 9, 0}};
        for (GemmKernel kernel : kernels()) {
            for (int[] s : sizes) {
                int m = s[0], n = s[1], k = s[2];
                for (int layout = 0; layout < 4; layout++) {
                    boolean ta = (layout & 1) != 0, tb = (layout & 2) != 0;
                    int aOff = 3, bOff = 5, cOff = 7, ldc = n + 2;
                    float[] a = new float[aOff + m * k], b = new float[bOff + k * n], c = new float[cOff + m * ldc];
                    for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
                    for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
                    for (int i = 0; i < c.length; i++) c[i] = (float) r.nextGaussian();
                    float[] c0 = c.clone();
                    int ars = ta ? 1 : k, acs = ta ? m : 1, brs = tb ? 1 : n, bcs = tb ? k : 1;
                    boolean acc = (m + layout) % 2 == 0, withBias = !acc && layout >= 2;
                    float[] bias = new float[2 + n];
                    for (int i = 0; i < bias.length; i++) bias[i] = (float) r.nextGaussian();
                    kernel.multiply(m, n, k, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, acc, withBias ? bias : null, 2, true);
                    double num = 0, den = 0;
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double ref = acc ? c0[cOff + i * ldc + j] : withBias ? bias[2 + j] : 0;
                            for (int p = 0; p < k; p++) ref += (double) a[aOff + i * ars + p * acs] * b[bOff + p * brs + j * bcs];
                            double d = c[cOff + i * ldc + j] - ref;
                            num += d * d;
                            den += ref * ref;
                        }
                        // the padding between rows of C must be untouched
                        for (int j = n; j < ldc && cOff + i * ldc + j < c.length; j++) {
                            assertThat(c[cOff + i * ldc + j]).isEqualTo(c0[cOff + i * ldc + j]);
                        }
                    }
                    for (int i = 0; i < cOff; i++) assertThat(c[i]).isEqualTo(c0[i]);
                    assertThat(Math.sqrt(num / Math.max(den, 1e-30))).as("%s %dx%dx%d layout %d", kernel.name(), m, n, k, layout).isLessThan(1e-5);
                }
            }
        }
    }

    /** The fused bias is added after the products, so it gives the bits of a product followed by a separate add. */
    @Test
    void fusedBiasGivesTheBitsOfASeparateAdd() {
        Random r = new Random(5);
        int[][] sizes = {{7, 17, 33}, {49, 257, 31}, {13, 40, 300}, {20, 70, 600}, {64, 96, 384}, {3, 5, 0}};
        for (GemmKernel kernel : kernels()) {
            for (int[] s : sizes) {
                int m = s[0], n = s[1], k = s[2];
                float[] a = new float[m * k], b = new float[k * n], bias = new float[n];
                for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
                for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
                for (int i = 0; i < n; i++) bias[i] = (float) r.nextGaussian();
                float[] fused = new float[m * n], separate = new float[m * n];
                java.util.Arrays.fill(fused, Float.NaN);
                java.util.Arrays.fill(separate, Float.NaN);
                kernel.multiply(m, n, k, a, 0, k, 1, b, 0, 1, k > 0 ? k : 1, fused, 0, n, false, bias, 0, true);
                kernel.multiply(m, n, k, a, 0, k, 1, b, 0, 1, k > 0 ? k : 1, separate, 0, n, false, null, 0, true);
                for (int i = 0; i < m * n; i++) separate[i] += bias[i % n];
                assertThat(fused).as("%s %dx%dx%d", kernel.name(), m, n, k).containsExactly(separate);
            }
        }
    }

    /** Every tile shape sums each element's products in the same order: the start-up choice cannot change a result. */
    @Test
    void everyTileShapeGivesTheSameBits() {
        Assumptions.assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && VectorGemmKernel.usable());
        Random r = new Random(9);
        int m = 61, n = 111, k = 300;
        float[] a = new float[m * k], b = new float[k * n], bias = new float[n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        for (int i = 0; i < n; i++) bias[i] = (float) r.nextGaussian();
        float[] first = null;
        for (VectorTile t : VectorTile.all()) {
            float[] c = new float[m * n];
            new VectorGemmKernel(t).multiply(m, n, k, a, 0, 1, m, b, 0, n, 1, c, 0, n, false, bias, 0, true);
            if (first == null) first = c;
            else assertThat(c).as(t.shape()).containsExactly(first);
        }
    }

    /**
     * The vector kernel's exact order of operations, as a scalar sum: each element of C is the sum of
     * one float FMA chain (from +0) per k block of {@link VectorGemmKernel#KC}, the blocks added to C in
     * k order (the first one stored, unless accumulating), then the bias. It holds whatever the tile,
     * the blocking the start-up measurement chooses from, the threads, the narrow (edge) panels or the spans
     * a long k is packed in (k = 20000 with 64 columns is two spans; 1700 columns are two chunks) or the groups
     * a row block's packed A is split into (48 or 60 rows x 12000 k exceed a group), so no
     * change of blocking or parallelism may change a bit of any result.
     */
    @Test
    void vectorKernelSumsEachElementInTheSameOrderWhateverTheSplit() {
        Assumptions.assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && VectorGemmKernel.usable());
        Random r = new Random(11);
        int[][] sizes = {{61, 111, 300}, {100, 24, 700}, {7, 64, 20000}, {50, 40, 513}, {130, 97, 256}, {20, 1700, 600}, {60, 24, 12000}};
        for (int[] s : sizes) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = new float[m * k], b = new float[k * n], bias = new float[n], c0 = new float[m * n];
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
            for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
            for (int i = 0; i < n; i++) bias[i] = (float) r.nextGaussian();
            for (int i = 0; i < c0.length; i++) c0[i] = (float) r.nextGaussian();
            for (boolean accumulate : new boolean[] {false, true}) {
                float[] want = new float[m * n];
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        float sum = accumulate ? c0[i * n + j] : 0f;
                        for (int p0 = 0; p0 < k; p0 += VectorGemmKernel.KC) {
                            float chain = 0f;
                            for (int p = p0; p < Math.min(k, p0 + VectorGemmKernel.KC); p++) chain = Math.fma(a[i * k + p], b[p * n + j], chain);
                            sum = p0 == 0 && !accumulate ? chain : sum + chain;
                        }
                        want[i * n + j] = accumulate ? sum : sum + bias[j];
                    }
                }
                for (VectorTile t : VectorTile.all()) {
                    // every blocking on the tiles the machine may choose; the others (C1 code here, slow) on the default
                    List<int[]> blockings = VectorTile.fitting().stream().anyMatch(f -> f.shape().equals(t.shape()))
                            ? List.of(VectorGemmKernel.BLOCKINGS) : List.of(VectorGemmKernel.BLOCKINGS[0]);
                    for (int[] blocking : blockings) {
                        VectorGemmKernel kernel = new VectorGemmKernel(t, blocking);
                        for (boolean parallel : new boolean[] {true, false}) {
                            float[] c = accumulate ? c0.clone() : new float[m * n];
                            if (!accumulate) java.util.Arrays.fill(c, Float.NaN);
                            kernel.multiply(m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0, n, accumulate, accumulate ? null : bias, 0, parallel);
                            assertThat(c).as("%s %dx%dx%d accumulate %s parallel %s", kernel.name(), m, n, k, accumulate, parallel)
                                    .containsExactly(want);
                        }
                    }
                }
            }
        }
    }

    /** A product goes to the tile whose width pads it least, at equal measured speed; the chosen tile keeps the rest. */
    @Test
    void eachProductGoesToTheTileThatPadsItsWidthLeast() {
        Assumptions.assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && VectorGemmKernel.usable());
        VectorGemmKernel t12x2 = new VectorGemmKernel(VectorTile.named("12x2")), t8x3 = new VectorGemmKernel(VectorTile.named("8x3"));
        VectorGemmKernel chosen = t12x2.withMeasured(new VectorGemmKernel[] {t12x2, t8x3}, new double[] {1.0, 1.0});
        int l = VectorTile.L;
        assertThat(chosen.forWidth(3 * l)).isSameAs(t8x3); // 8x3 fits exactly, 12x2 pads to 4 vectors
        assertThat(chosen.forWidth(2 * l)).isSameAs(t12x2);
        assertThat(chosen.forWidth(6 * l)).isSameAs(t12x2); // both fit: the chosen one
        assertThat(chosen.forWidth(l)).isSameAs(t12x2);
        // a much slower exact fit loses to a faster padded one
        chosen.withMeasured(new VectorGemmKernel[] {t12x2, t8x3}, new double[] {1.0, 0.5});
        assertThat(chosen.forWidth(3 * l)).isSameAs(t12x2);
        // and the product is right through the other tile
        int m = 37, n = 3 * l, k = 50;
        Random r = new Random(2);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n], d = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        chosen.withMeasured(new VectorGemmKernel[] {t12x2, t8x3}, new double[] {1.0, 1.0});
        chosen.multiply(m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0, n, false, null, 0, true);
        new VectorGemmKernel(VectorTile.named("6x2")).multiply(m, n, k, a, 0, k, 1, b, 0, n, 1, d, 0, n, false, null, 0, true);
        assertThat(c).containsExactly(d);
    }

    @Test
    void startUpMeasurementPicksATileAndNamesThePropertyOnABadOne() {
        Assumptions.assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && VectorGemmKernel.usable());
        VectorGemmKernel measured = VectorGemmKernel.fastest(new VectorGemmKernel(new VectorTile.Tile6x2()).warmUp(), null);
        assertThat(measured.name()).matches("vector-\\d+-(6x2|12x2|8x3)-\\d+x\\d+");
        for (VectorTile t : VectorTile.fitting()) assertThat(measured.measured()).contains(t.shape());
        assertThat(measured.measured()).contains("GFLOP/s").contains("blocking 48x");
        // only tiles whose k loop fits the register file are candidates: on AVX2's 16 registers, 6x2 alone
        assertThat(VectorTile.fitting()).isNotEmpty().allMatch(t -> t.registers() <= VectorTile.REGISTERS);
        if (VectorTile.S.vectorBitSize() == 256) assertThat(VectorTile.fitting()).extracting(VectorTile::shape).containsExactly("6x2");
        if (VectorTile.S.vectorBitSize() == 512) assertThat(VectorTile.fitting()).extracting(VectorTile::shape).containsExactly("6x2", "12x2", "8x3");
        // a forced blocking is used as given, and names itself in the report
        VectorGemmKernel forced = VectorGemmKernel.fastest(measured, new int[] {96, 192});
        assertThat(forced.name()).endsWith("-96x192");
        assertThat(forced.measured()).contains("96x192 (dinoj.gemm.blocking)");
        assertThat(Gemm.VectorProbe.parseBlocking(" 96x384 ")).containsExactly(96, 384);
        assertThat(Gemm.VectorProbe.parseBlocking("")).isNull();
        // the blocking a kernel's name prints fits its own tile: accepted with that tile forced, refused for every tile
        String printed = "48x" + VectorTile.named("6x2").nr;
        assertThat(Gemm.VectorProbe.parseBlocking(printed, "6x2")).containsExactly(48, VectorTile.named("6x2").nr);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Gemm.VectorProbe.parseBlocking(printed))
                .hasMessageContaining(printed).hasMessageContaining("dinoj.gemm.tile");
        for (String bad : new String[] {"50x192", "96x100", "96", "axb", "0x192", "-48x192", "96x-192"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Gemm.VectorProbe.parseBlocking(bad))
                    .hasMessageContaining("dinoj.gemm.blocking").hasMessageContaining(bad);
        }
        assertThat(VectorTile.named("8x3").shape()).isEqualTo("8x3");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> VectorTile.named("5x5")).hasMessageContaining("5x5")
                .hasMessageContaining("6x2, 12x2 and 8x3");
        // the kernel in use once the background measurement is done
        Gemm.awaitKernelChoice();
        assertThat(Gemm.kernelName()).startsWith("vector-");
    }
}
