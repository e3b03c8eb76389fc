package dev.dinoj.tensor.cpu;

import jdk.incubator.vector.FloatVector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * GEMM on the JDK Vector API (GotoBLAS structure): B is packed into panels NR wide, A into panels of MR
 * rows interleaved by k, and an MR x NR tile of C ({@link VectorTile}) lives in vector registers while k
 * runs. The tile shape and the blocking (rows of A per packed block, columns of B per inner block) are
 * the ones {@link #fastest} measured fastest on this machine at start-up (6x2 vectors for AVX2's 16
 * registers; 12x2 or 8x3 can win with AVX-512's 32), except for products whose width another measured
 * tile pads less ({@link #forWidth}); every shape and blocking gives the same bits, since each element
 * of C sums the same products in the same order (one chain per k block of {@link #KC}) whatever the
 * tile. This class is loaded only when the runtime has the jdk.incubator.vector module.
 */
final class VectorGemmKernel implements GemmKernel {
    static final int KC = 256;
    private static final int NC = 1536;
    /** Most floats of packed B held at once (4 MB): longer k is packed and multiplied in spans. */
    private static final int PACKED_B_FLOATS = 1 << 20;
    /**
     * Most floats of a row block's packed A held at once (2 MB): longer k goes in groups, each of which adds
     * to C once. A's micro-panels stream in order, so the block may fill a core's L2 (2 MB on the Xeon, where
     * 1 MB, two groups at 384 rows x 1024 k, did 259 GFLOP/s at 1024^3 on two cores and 2 MB 272); a machine
     * with a smaller L2 measures its way to a smaller MC ({@link #BLOCKINGS}).
     */
    private static final int PACKED_A_FLOATS = 1 << 19;

    private final VectorTile tile;
    private final int mr, nr;
    /** Rows of A packed per block (MC) and columns of B per inner block (NB): see {@link #multiply}. */
    private final int mc, nb;
    /** What {@link #fastest} measured, on the kernel it chose (empty otherwise); published through Gemm's volatile field. */
    private String measured = "";
    /**
     * Set by {@link #fastest} on the kernel it chose: every measured kernel (this one included) and its
     * speed. A product whose n fits another tile's width with less padding goes to that tile when its
     * padded work divided by its measured speed is smaller (n = 48 with 32-wide 12x2 tiles pads a third;
     * 48-wide 8x3 tiles fit it exactly). Every tile gives the same bits, so this changes speed only.
     */
    private VectorGemmKernel[] byWidth = new VectorGemmKernel[0];
    private double[] speeds = new double[0];

    VectorGemmKernel(VectorTile tile) {
        this(tile, BLOCKINGS[0]);
    }

    /** {@link #BLOCKINGS}'s entry for this tile: NB = 0 stands for the tile's own width. */
    VectorGemmKernel(VectorTile tile, int[] blocking) {
        this(tile, blocking[0], blocking[1] == 0 ? tile.nr : blocking[1]);
    }

    VectorGemmKernel(VectorTile tile, int mc, int nb) {
        if (mc <= 0 || nb <= 0 || mc % tile.mr != 0 || nb % tile.nr != 0 || NC % tile.nr != 0) {
            throw new IllegalArgumentException("tile " + tile.shape() + " does not divide the blocks " + mc + " x " + nb);
        }
        this.tile = tile;
        this.mr = tile.mr;
        this.nr = tile.nr;
        this.mc = mc;
        this.nb = nb;
    }

    /**
     * Packing buffers, one set per thread and reused: allocating them per call (1.5 MB of packed B per
     * product) was most of what a training step still left to the garbage collector. Slots: the packed
     * B of a k span (the calling thread's, filled and read by all), the packed A block (every k block of a
     * group), the edge tile and the sums of one row of tiles (per worker).
     */
    private static final int PACKED_B = 0, PACKED_A = 1, EDGE = 2, SUMS = 3;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[4][0]);

    private static float[] scratch(int slot, int length) {
        float[][] buffers = SCRATCH.get();
        if (buffers[slot].length < length) buffers[slot] = new float[length];
        return buffers[slot];
    }

    /**
     * Runs many short products on this kernel's tile, so that C2 compiles the tile early and from the
     * profile of short calls, as VectorArrayMath's warm-up does for GELU (whose gradient C2 compiled 7x
     * slower from the profile of a training step's few long calls). Until C2's code is installed a tile
     * runs in C1 or OSR code at about 1 GFLOP/s (seen in the start-up measurement). Returns this kernel.
     */
    VectorGemmKernel warmUp() {
        int k = 16;
        float[] a = pattern(mr * k, 13, 8f), b = pattern(k * nr, 7, 4f), c = new float[mr * nr];
        for (int call = 0; call < 3000; call++) multiply(mr, nr, k, a, 0, k, 1, b, 0, nr, 1, c, 0, nr, call % 2 == 0, null, 0, false);
        if (!Float.isFinite(c[0])) throw new AssertionError("GEMM warm-up produced " + c[0]);
        return this;
    }

    /**
     * The kernel whose tile shape and blocking multiply fastest on this machine, measured in two steps.
     * Tiles: {@code warm} (already warmed up) and the other shapes, each warmed up, then each tile alone
     * timed on packed operands in cache (k blocks of 256 against four B panels in turn: the tile's own speed,
     * which a whole product's packing had diluted until two tiles 15% apart measured within 3%) on one
     * thread, the shapes in turn, the best of several rounds each (the minimum is what a noisy machine leaves
     * least disturbed), until the best times stop improving: the JIT compiles the tiles meanwhile, so this
     * takes about a second, which is why {@link Gemm} runs it on a background thread. Blocking: the chosen
     * tile with each of {@link #BLOCKINGS} on a 1024 x 512 x 1024 product on all threads, the same way (about
     * 0.3 s): its packed B (2 MB) is as large as a core's L2 and it has two k blocks, so the blocking decides
     * where the operands come from and how the threads share them (single-threaded on a smaller product,
     * the blockings had tied within 5% on a Xeon, where on two threads at 1024^3 they range from 213 to 272
     * GFLOP/s). A forced blocking ({@code dinoj.gemm.blocking}) skips the second step. Only
     * {@link VectorTile#fitting} tiles are candidates, and a measurement that has not settled within its
     * time limit chooses nothing (the serving 6x2 tile, or the first blocking, stays).
     */
    static VectorGemmKernel fastest(VectorGemmKernel warm, int[] forcedBlocking) {
        List<VectorGemmKernel> kernels = new ArrayList<>();
        List<Runnable> runs = new ArrayList<>();
        for (VectorTile t : VectorTile.fitting()) {
            kernels.add(t.shape().equals(warm.tile.shape()) ? warm : new VectorGemmKernel(t).warmUp());
            runs.add(tileAlone(t));
        }
        Timing timing = timeRounds(runs, 12);
        double[] rate = new double[kernels.size()];
        StringBuilder report = new StringBuilder();
        for (int i = 0; i < kernels.size(); i++) {
            VectorTile t = kernels.get(i).tile;
            rate[i] = 2.0 * TILE_CALLS * t.mr * t.nr * KC / timing.best[i];
            report.append(i == 0 ? "" : ", ").append(t.shape()).append(' ').append(gflops(rate[i])).append(" GFLOP/s");
        }
        if (!timing.settled) {
            // the JIT had not compiled every tile within the time limit (a loaded machine): such figures compare
            // C1 code with C2 code, so they choose nothing
            warm.measured = report.append("; not settled within 5 s, kept ").append(warm.tile.shape()).toString();
            return warm;
        }
        int pick = 0;
        // a wider tile must be clearly faster: within 3% the narrow one (fewer registers, smaller edges) stays
        for (int i = 1; i < kernels.size(); i++) {
            if (rate[i] * 0.97 > rate[pick]) pick = i;
        }
        VectorTile tile = kernels.get(pick).tile;
        int[] blocking = forcedBlocking;
        if (blocking == null) {
            blocking = chooseBlocking(tile, report.append("; "));
        } else {
            report.append("; blocking ").append(new VectorGemmKernel(tile, blocking).blocking()).append(" (dinoj.gemm.blocking)");
        }
        // every tile on the chosen blocking (its sizes are multiples of every tile's rows and columns); the
        // multiply code is shared, already compiled, so these need no warm-up
        VectorGemmKernel[] measured = new VectorGemmKernel[kernels.size()];
        for (int i = 0; i < measured.length; i++) {
            VectorGemmKernel k = kernels.get(i), blocked = new VectorGemmKernel(k.tile, blocking);
            measured[i] = k.mc == blocked.mc && k.nb == blocked.nb ? k : blocked;
        }
        VectorGemmKernel chosen = measured[pick];
        chosen.withMeasured(measured, rate);
        chosen.measured = report.toString();
        return chosen;
    }

    /** {@code warm}'s tile (forced by dinoj.gemm.tile) on the fastest of {@link #BLOCKINGS}, measured as {@link #fastest} does. */
    static VectorGemmKernel fastestBlocking(VectorGemmKernel warm) {
        StringBuilder report = new StringBuilder(warm.tile.shape()).append(" (dinoj.gemm.tile); ");
        VectorGemmKernel chosen = new VectorGemmKernel(warm.tile, chooseBlocking(warm.tile, report));
        chosen.measured = report.toString();
        return chosen;
    }

    /** Times {@code tile} on each of {@link #BLOCKINGS} (see {@link #fastest}), reports the speeds, returns the fastest. */
    private static int[] chooseBlocking(VectorTile tile, StringBuilder report) {
        List<VectorGemmKernel> candidates = new ArrayList<>();
        List<Runnable> runs = new ArrayList<>();
        int m = BLOCKING_M, n = BLOCKING_N, k = BLOCKING_K;
        float[] a = pattern(m * k, 13, 8f), b = pattern(k * n, 7, 4f), c = new float[m * n];
        for (int[] blocking : BLOCKINGS) {
            VectorGemmKernel kernel = new VectorGemmKernel(tile, blocking);
            candidates.add(kernel);
            runs.add(() -> kernel.multiply(m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0, n, false, null, 0, true));
        }
        Timing timing = timeRounds(runs, 5);
        if (!Float.isFinite(c[c.length - 1])) throw new AssertionError("GEMM measurement produced " + c[c.length - 1]);
        int fastest = 0;
        // the first candidate is the long-standing default: another must beat it clearly
        for (int i = 1; i < timing.best.length && timing.settled; i++) {
            if (timing.best[i] < timing.best[fastest] * 0.97) fastest = i;
        }
        report.append("blocking");
        for (int i = 0; i < timing.best.length; i++) {
            report.append(i == 0 ? " " : ", ").append(candidates.get(i).blocking()).append(' ')
                    .append(gflops(2.0 * m * n * k / timing.best[i])).append(" GFLOP/s");
        }
        if (!timing.settled) report.append(" (not settled within 5 s, kept ").append(candidates.get(0).blocking()).append(')');
        return BLOCKINGS[fastest];
    }

    /** Multiplications of one k block per timed run of a tile alone. */
    private static final int TILE_CALLS = 256;

    /** TILE_CALLS products of {@code t} on packed operands that stay in cache, the B panels taken in turn. */
    private static Runnable tileAlone(VectorTile t) {
        int panels = 4;
        float[] ap = pattern(t.mr * KC, 13, 8f), bp = pattern(t.nr * KC * panels, 7, 4f), c = new float[t.mr * t.nr];
        return () -> {
            for (int call = 0; call < TILE_CALLS; call++) t.multiply(ap, 0, bp, call % panels * t.nr * KC, KC, c, 0, t.nr, VectorTile.NO_BIAS, 0);
            if (!Float.isFinite(c[0])) throw new AssertionError("GEMM tile measurement produced " + c[0]);
        };
    }

    /** n floats (i % period - period / 2) / scale: small exact values, the same every run. */
    private static float[] pattern(int n, int period, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (i % period - period / 2) / scale;
        return x;
    }

    /**
     * Blockings the start-up measurement chooses from, {MC rows of A per packed block, NB columns of B per
     * inner block}, each a multiple of every tile's rows and columns. {48, NB = the tile's width} is the
     * GotoBLAS order this kernel had first (one B micro-panel in L1 while the block's A micro-panels pass);
     * a wider NB turns it round: one A micro-panel in L1 while NB columns of packed B stream from L2,
     * which won on a Zen 3 core (L1 32 KB, L2 512 KB: 98 against 78 GFLOP/s at 1024^3 on two cores). With
     * a 512-bit 12x2 tile a B micro-panel of 256 k steps is 32 KB, a whole L1 of that size. A row block
     * runs every k block of its group before the next block starts, so the whole packed B passes through
     * L2 once per row block: a larger MC spends that traffic on more rows (on the Xeon's 2 MB L2, 192-384
     * rows did 240-272 GFLOP/s at 1024^3 on two cores, 48 rows 213).
     */
    static final int[][] BLOCKINGS = {{48, 0}, {48, 192}, {96, 192}, {96, 384}, {192, 192}, {192, 384}, {384, 384}};
    private static final int BLOCKING_M = 1024, BLOCKING_N = 1024, BLOCKING_K = 512;

    /**
     * Best time of each run (a tile alone, or a product on one blocking), the runs in turn per round, for at
     * least {@code minRounds} rounds and until no run has improved its best by 2% for 200 ms: settled. At
     * most 5 s (C2 may still be compiling a tile when this starts, and on a loaded machine may not be done
     * by then): not settled.
     */
    private static Timing timeRounds(List<Runnable> runs, int minRounds) {
        long[] best = new long[runs.size()];
        Arrays.fill(best, Long.MAX_VALUE);
        long start = System.nanoTime(), lastGain = start;
        boolean settled;
        for (int round = 0; ; round++) {
            for (int i = 0; i < runs.size(); i++) {
                long t0 = System.nanoTime();
                runs.get(i).run();
                long t = System.nanoTime() - t0;
                if (t < best[i] * 0.98) lastGain = System.nanoTime();
                best[i] = Math.min(best[i], t);
            }
            long now = System.nanoTime();
            settled = round >= minRounds && now - lastGain > 200_000_000L;
            if (settled || now - start > 5_000_000_000L) break;
        }
        return new Timing(best, settled);
    }

    /** Best time per run, and whether they stopped improving before the time limit. */
    private record Timing(long[] best, boolean settled) {}

    private static String gflops(double flopsPerNano) {
        return String.format(java.util.Locale.ROOT, "%.1f", flopsPerNano);
    }

    /** The blocking, "MCxNB". */
    String blocking() {
        return mc + "x" + nb;
    }

    String measured() {
        return measured;
    }

    /** Records the measured kernels (this one among them) and their speeds, for {@link #forWidth}; returns this. */
    VectorGemmKernel withMeasured(VectorGemmKernel[] kernels, double[] speed) {
        byWidth = kernels.clone();
        speeds = speed.clone();
        return this;
    }

    /**
     * The measured kernel that multiplies n columns fastest: padded width divided by measured speed, where
     * another tile must be 3% better than this one (the measurement's own margin).
     */
    VectorGemmKernel forWidth(int n) {
        VectorGemmKernel pick = this;
        double best = Double.MAX_VALUE;
        for (int i = 0; i < byWidth.length; i++) {
            if (byWidth[i] == this) best = roundUp(n, nr) / speeds[i];
        }
        for (int i = 0; i < byWidth.length; i++) {
            double cost = roundUp(n, byWidth[i].nr) / speeds[i];
            if (cost < best * 0.97) {
                best = cost;
                pick = byWidth[i];
            }
        }
        return pick;
    }

    static boolean usable() {
        return VectorTile.S.vectorBitSize() >= 256;
    }

    @Override
    public String name() {
        return "vector-" + VectorTile.S.vectorBitSize() + "-" + tile.shape() + "-" + blocking();
    }

    @Override
    public void multiply(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int brs, int bcs,
                         float[] c, int cOff, int ldc, boolean accumulate, float[] bias, int biasOff, boolean parallel) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) GemmKernel.initialise(m, n, c, cOff, ldc, bias, biasOff);
            return;
        }
        VectorGemmKernel fit = byWidth.length == 0 ? this : forWidth(n);
        if (fit != this) {
            fit.multiply(m, n, k, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, accumulate, bias, biasOff, parallel);
            return;
        }
        int mc = parallel ? balancedRows(m, this.mc, mr, Parallel.threads()) : this.mc;
        int blocks = (m + mc - 1) / mc;
        // columns in chunks of NC (packed B of a chunk stays in cache while every block of rows uses it), k
        // in spans whose packed B fits PACKED_B_FLOATS: one chunk and one span for every ViT-sized product
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc), panels = (nc + nr - 1) / nr;
            int span = Math.max(KC, PACKED_B_FLOATS / (panels * nr) / KC * KC);
            float[] bp = scratch(PACKED_B, panels * nr * Math.min(span, k));
            for (int k0 = 0; k0 < k; k0 += span) {
                int ks = Math.min(span, k - k0), spanStart = k0, cBase = cOff + jc, biasBase = biasOff + jc;
                packB(b, bOff + k0 * brs + jc * bcs, brs, bcs, ks, nc, bp, parallel);
                Parallel.Range body = (s, e) -> {
                    float[] edge = scratch(EDGE, mr * nr), sums = scratch(SUMS, mr * roundUp(Math.min(nb, nc), nr));
                    for (int blk = s; blk < e; blk++) {
                        int i0 = blk * mc, rows = Math.min(mc, m - i0), panelRows = roundUp(rows, mr);
                        // k in groups whose packed A (this block's rows, every k block of the group) stays in L2; the
                        // tiles sum a group's k blocks in a scratch and touch C once per group
                        int group = Math.max(KC, PACKED_A_FLOATS / panelRows / KC * KC);
                        float[] ap = scratch(PACKED_A, panelRows * Math.min(group, ks));
                        for (int g0 = spanStart; g0 < spanStart + ks; g0 += group) {
                            int gs = Math.min(group, spanStart + ks - g0);
                            for (int pc = g0; pc < g0 + gs; pc += KC) {
                                packA(a, aOff + pc * acs + i0 * ars, ars, acs, rows, Math.min(KC, g0 + gs - pc), ap, (pc - g0) * panelRows, mr);
                            }
                            // a group that starts at k = 0 stores into C (C is neither read nor zeroed), later ones add to
                            // it; the one that ends at k adds the bias: the same operations, in the same order, as
                            // zeroing C, adding each k block's products in turn and then the bias in separate passes
                            boolean store = g0 == 0 && !accumulate;
                            float[] groupBias = g0 + gs == k ? bias : null;
                            int bGroup = (g0 - spanStart) * nr;
                            for (int jb = 0; jb < nc; jb += nb) {
                                int je = Math.min(nc, jb + nb);
                                if (gs <= KC && store) {
                                    // one k block: whole tiles straight into C, partial ones through the scratch
                                    for (int ir = 0; ir < rows; ir += mr) {
                                        int h = Math.min(mr, rows - ir);
                                        for (int jr = jb; jr < je; jr += nr) {
                                            int w = Math.min(nr, nc - jr), bo = jr / nr * ks * nr + bGroup, co = cBase + (i0 + ir) * ldc + jr;
                                            if (h == mr && w == nr) {
                                                if (groupBias == null) tile.multiply(ap, ir * gs, bp, bo, gs, c, co, ldc, VectorTile.NO_BIAS, 0);
                                                else tile.multiply(ap, ir * gs, bp, bo, gs, c, co, ldc, groupBias, biasBase + jr);
                                            } else {
                                                tile.multiply(ap, ir * gs, bp, bo, gs, sums, 0, nr, VectorTile.NO_BIAS, 0);
                                                writeTile(sums, 0, c, co, ldc, h, w, groupBias, biasBase + jr);
                                            }
                                        }
                                    }
                                    continue;
                                }
                                // several k blocks (or C accumulated into): a row of tiles sums its k blocks in order,
                                // each tile in its place of the scratch (which stays in L1: one row of tiles), the A
                                // micro-panel of a k block in L1 while the row's B panels pass; then C written once
                                for (int ir = 0; ir < rows; ir += mr) {
                                    int h = Math.min(mr, rows - ir), co = cBase + (i0 + ir) * ldc;
                                    for (int p0 = 0; p0 < gs; p0 += KC) {
                                        int kc = Math.min(KC, gs - p0), ao = p0 * panelRows + ir * kc;
                                        for (int jr = jb, so = 0; jr < je; jr += nr, so += mr * nr) {
                                            int w = Math.min(nr, nc - jr), bo = jr / nr * ks * nr + bGroup + p0 * nr;
                                            if (p0 == 0 && store) {
                                                tile.multiply(ap, ao, bp, bo, kc, sums, so, nr, VectorTile.NO_BIAS, 0);
                                            } else {
                                                tile.multiply(ap, ao, bp, bo, kc, edge, 0, nr, VectorTile.NO_BIAS, 0);
                                                if (p0 == 0) startFromC(sums, so, edge, c, co + jr, ldc, h, w);
                                                else addTo(sums, so, edge);
                                            }
                                        }
                                    }
                                    for (int jr = jb, so = 0; jr < je; jr += nr, so += mr * nr) {
                                        writeTile(sums, so, c, co + jr, ldc, h, Math.min(nr, nc - jr), groupBias, biasBase + jr);
                                    }
                                }
                            }
                        }
                    }
                };
                // one parallel loop per span: each piece of blocks runs every k block of the span itself, so no
                // thread waits at a k block's end for the others (or for the packing of the next B block)
                if (parallel) Parallel.forRange(blocks, 1, (long) mc * ks * nc, body);
                else body.run(0, blocks);
            }
        }
    }

    /**
     * Rows per block of a parallel product: at most {@code mc}, a multiple of {@code mr}, and few enough that
     * the blocks share out evenly: a whole number of blocks per thread while there are fewer than eight per
     * thread (1024 rows in blocks of 96 are 11 blocks, 6 and 5 on two threads: one idle 8% of the time;
     * blocks of 90 are 12). Only speed depends on it: the rows of a block do not change any sum.
     */
    static int balancedRows(int m, int mc, int mr, int threads) {
        int blocks = (m + mc - 1) / mc;
        if (threads <= 1 || blocks >= 8 * threads || blocks % threads == 0) return mc;
        int even = roundUp(blocks, threads);
        return Math.max(mr, roundUp((m + even - 1) / even, mr));
    }

    private static int roundUp(int x, int q) {
        return (x + q - 1) / q * q;
    }

    /**
     * B's rows [0, ks) in panels nr wide: bp[panel*ks*nr + p*nr + j] = B[p, panel*nr + j], zero past n,
     * so that the kc x nr slice of a k block is contiguous. Panels and k blocks are packed in parallel.
     */
    private void packB(float[] b, int off, int brs, int bcs, int ks, int n, float[] bp, boolean parallel) {
        int panels = (n + nr - 1) / nr, kBlocks = (ks + KC - 1) / KC;
        Parallel.Range body = (s, e) -> {
            for (int u = s; u < e; u++) {
                int panel = u / kBlocks, p0 = u % kBlocks * KC, p1 = Math.min(ks, p0 + KC);
                int jp = panel * nr, w = Math.min(nr, n - jp);
                for (int p = p0; p < p1; p++) {
                    int src = off + p * brs + jp * bcs, dst = panel * ks * nr + p * nr;
                    if (bcs == 1) {
                        System.arraycopy(b, src, bp, dst, w);
                    } else {
                        for (int j = 0; j < w; j++) bp[dst + j] = b[src + j * bcs];
                    }
                    for (int j = w; j < nr; j++) bp[dst + j] = 0f;
                }
            }
        };
        if (parallel) Parallel.forRange(panels * kBlocks, 1, (long) KC * nr, body);
        else body.run(0, panels * kBlocks);
    }

    /**
     * ap[dst + iPanel*kc*mr + p*mr + r] = A[iPanel*mr + r, p], zero past mc. Written in order (p outer), so
     * the stores stream: the row-by-row order stored with a stride of mr and cost as much as the
     * tile's FMAs when B is narrow (a conv stem's 24-48 output channels). A row-major A is read as mr
     * sequential streams (six at a time), a transposed A (ars == 1, the backward's X^T) as one contiguous
     * run per p.
     */
    private static void packA(float[] a, int off, int ars, int acs, int mc, int kc, float[] ap, int dst, int mr) {
        for (int ip = 0; ip < mc; ip += mr) {
            int h = Math.min(mr, mc - ip);
            int base = dst + ip * kc, rows = off + ip * ars;
            if (h == mr && acs == 1) {
                for (int r0 = 0; r0 < mr; r0 += 6) {
                    int g = Math.min(6, mr - r0);
                    if (g == 6) packSixRows(a, rows + r0 * ars, ars, kc, ap, base + r0, mr);
                    else packRows(a, rows + r0 * ars, ars, 1, g, kc, ap, base + r0, mr);
                }
            } else if (h == mr && ars == 1) {
                for (int p = 0, d = base, s = rows; p < kc; p++, d += mr, s += acs) System.arraycopy(a, s, ap, d, mr);
            } else {
                packRows(a, rows, ars, acs, h, kc, ap, base, mr);
                for (int p = 0, d = base; p < kc; p++, d += mr) {
                    for (int r = h; r < mr; r++) ap[d + r] = 0f;
                }
            }
        }
    }

    /** Six rows of a row-major A (unit column stride) into a panel of stride mr: six sequential read streams. */
    private static void packSixRows(float[] a, int rows, int ars, int kc, float[] ap, int d, int mr) {
        int s0 = rows, s1 = s0 + ars, s2 = s1 + ars, s3 = s2 + ars, s4 = s3 + ars, s5 = s4 + ars;
        for (int p = 0; p < kc; p++, d += mr) {
            ap[d] = a[s0 + p];
            ap[d + 1] = a[s1 + p];
            ap[d + 2] = a[s2 + p];
            ap[d + 3] = a[s3 + p];
            ap[d + 4] = a[s4 + p];
            ap[d + 5] = a[s5 + p];
        }
    }

    /** h rows of any A into a panel of stride mr. */
    private static void packRows(float[] a, int rows, int ars, int acs, int h, int kc, float[] ap, int d, int mr) {
        for (int p = 0; p < kc; p++, d += mr) {
            for (int r = 0; r < h; r++) ap[d + r] = a[rows + r * ars + p * acs];
        }
    }

    /** The first k block's products of a tile added to C's values (h x w of them), into the tile's place in {@code sums}. */
    private void startFromC(float[] sums, int so, float[] edge, float[] c, int co, int ldc, int h, int w) {
        for (int r = 0; r < h; r++) {
            int row = co + r * ldc, e = r * nr;
            if (w == nr) {
                for (int j = 0; j < nr; j += VectorTile.L) {
                    FloatVector.fromArray(VectorTile.S, c, row + j).add(FloatVector.fromArray(VectorTile.S, edge, e + j)).intoArray(sums, so + e + j);
                }
            } else {
                for (int j = 0; j < w; j++) sums[so + e + j] = c[row + j] + edge[e + j];
            }
        }
    }

    /** A later k block's products of a tile added to its sum (the whole tile: lanes past the edge are never written out). */
    private void addTo(float[] sums, int so, float[] edge) {
        for (int i = 0; i < mr * nr; i += VectorTile.L) {
            FloatVector.fromArray(VectorTile.S, sums, so + i).add(FloatVector.fromArray(VectorTile.S, edge, i)).intoArray(sums, so + i);
        }
    }

    /**
     * A tile's sum (row stride nr, at {@code so}) written to C's h x w elements, plus bias[j] when given:
     * C's only touch for a group of k blocks. Summing in the scratch rather than in C keeps the tiles in L1 and
     * L2: C's rows are a matrix row apart, and adding each k block's products to them (from L3 or memory, per k
     * block) held a 1024^3 product to ~87% of the speed of one with a single k block.
     */
    private void writeTile(float[] sums, int so, float[] c, int co, int ldc, int h, int w, float[] bias, int biasOff) {
        for (int r = 0; r < h; r++) {
            int row = co + r * ldc, e = so + r * nr;
            if (bias == null) {
                System.arraycopy(sums, e, c, row, w);
            } else if (w == nr) {
                for (int j = 0; j < nr; j += VectorTile.L) {
                    FloatVector.fromArray(VectorTile.S, sums, e + j).add(FloatVector.fromArray(VectorTile.S, bias, biasOff + j)).intoArray(c, row + j);
                }
            } else {
                for (int j = 0; j < w; j++) c[row + j] = sums[e + j] + bias[biasOff + j];
            }
        }
    }
}
