package dev.dinoj.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * GEMM on the JDK Vector API (GotoBLAS structure): B is packed into panels NR = 2 vectors wide, A into
 * panels of MR = 6 rows interleaved by k, and a 6 x NR tile of C lives in 12 vector registers while k
 * runs (one broadcast of A and two loads of B per six FMAs pairs). With AVX2 that is 12 of 16 ymm
 * registers; bigger tiles spill (shared/design/CPU-KERNELS.md). This class is loaded only when the
 * runtime has the jdk.incubator.vector module.
 */
final class VectorGemmKernel implements GemmKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 6;
    private static final int NR = 2 * L;
    private static final int KC = 256;
    private static final int MC = 48;
    private static final int NC = 1536;

    /**
     * Packing buffers, one set per thread and reused: allocating them per call (1.5 MB of packed B per
     * product) was most of what a training step still left to the garbage collector. Slots: the packed
     * B panel (filled by the calling thread, read by all), the packed A block and the edge tile (per
     * worker).
     */
    private static final int PACKED_B = 0, PACKED_A = 1, EDGE = 2;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

    private static float[] scratch(int slot, int length) {
        float[][] buffers = SCRATCH.get();
        if (buffers[slot].length < length) buffers[slot] = new float[length];
        return buffers[slot];
    }

    static boolean usable() {
        return S.vectorBitSize() >= 256;
    }

    @Override
    public String name() {
        return "vector-" + S.vectorBitSize();
    }

    @Override
    public void multiply(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int brs, int bcs,
                         float[] c, int cOff, int ldc, boolean accumulate, float[] bias, int biasOff, boolean parallel) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) GemmKernel.initialise(m, n, c, cOff, ldc, bias, biasOff);
            return;
        }
        int ncMax = Math.min(NC, n), kcMax = Math.min(KC, k);
        float[] bp = scratch(PACKED_B, roundUp(ncMax, NR) * kcMax);
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                packB(b, bOff + pc * brs + jc * bcs, brs, bcs, kc, nc, bp);
                int aBase = aOff + pc * acs, cBase = cOff + jc;
                int blocks = (m + MC - 1) / MC;
                // The first k block stores its products (no zero-fill of C beforehand), the last adds the bias
                // to each tile while it is in cache: the same operations, in the same order, as filling C with
                // zeros, accumulating, and adding the bias in a separate pass.
                boolean store = pc == 0 && !accumulate;
                float[] rowBias = pc + kc == k ? bias : null;
                int rowBiasOff = biasOff + jc;
                Parallel.Range body = (s, e) -> {
                    float[] ap = scratch(PACKED_A, MC * kc);
                    float[] edge = scratch(EDGE, MR * NR);
                    for (int blk = s; blk < e; blk++) {
                        int i0 = blk * MC, mc = Math.min(MC, m - i0);
                        packA(a, aBase + i0 * ars, ars, acs, mc, kc, ap);
                        for (int jr = 0; jr < nc; jr += NR) {
                            int nr = Math.min(NR, nc - jr);
                            int bo = jr * kc;
                            for (int ir = 0; ir < mc; ir += MR) {
                                int mr = Math.min(MR, mc - ir), co = cBase + (i0 + ir) * ldc + jr;
                                if (mr == MR && nr == NR) {
                                    if (store) tileStore(ap, ir * kc, bp, bo, kc, c, co, ldc);
                                    else tile(ap, ir * kc, bp, bo, kc, c, co, ldc);
                                    if (rowBias != null) addBias(c, co, ldc, rowBias, rowBiasOff + jr);
                                } else {
                                    edgeTile(ap, ir * kc, bp, bo, kc, c, co, ldc, mr, nr, edge, store, rowBias, rowBiasOff + jr);
                                }
                            }
                        }
                    }
                };
                if (parallel) Parallel.forRange(blocks, 1, (long) MC * kc * nc, body);
                else body.run(0, blocks);
            }
        }
    }

    private static int roundUp(int x, int q) {
        return (x + q - 1) / q * q;
    }

    /** bp[jPanel*kc*NR + p*NR + j] = B[p, jPanel*NR + j], zero past nc. */
    private static void packB(float[] b, int off, int brs, int bcs, int kc, int nc, float[] bp) {
        for (int jp = 0; jp < nc; jp += NR) {
            int w = Math.min(NR, nc - jp);
            int base = jp * kc;
            for (int p = 0; p < kc; p++) {
                int src = off + p * brs + jp * bcs, dst = base + p * NR;
                if (bcs == 1) {
                    System.arraycopy(b, src, bp, dst, w);
                } else {
                    for (int j = 0; j < w; j++) bp[dst + j] = b[src + j * bcs];
                }
                for (int j = w; j < NR; j++) bp[dst + j] = 0f;
            }
        }
    }

    /**
     * ap[iPanel*kc*MR + p*MR + r] = A[iPanel*MR + r, p], zero past mc. Written in order (p outer), so
     * the stores stream: the row-by-row order stored with a stride of MR and cost as much as the
     * tile's FMAs when B is narrow (a conv stem's 24-48 output channels). A row-major A is read as MR
     * sequential streams, a transposed A (ars == 1, the backward's X^T) as one contiguous run per p.
     */
    private static void packA(float[] a, int off, int ars, int acs, int mc, int kc, float[] ap) {
        for (int ip = 0; ip < mc; ip += MR) {
            int h = Math.min(MR, mc - ip);
            int base = ip * kc, rows = off + ip * ars;
            if (h == MR && acs == 1) {
                int s0 = rows, s1 = s0 + ars, s2 = s1 + ars, s3 = s2 + ars, s4 = s3 + ars, s5 = s4 + ars;
                for (int p = 0, d = base; p < kc; p++, d += MR) {
                    ap[d] = a[s0 + p];
                    ap[d + 1] = a[s1 + p];
                    ap[d + 2] = a[s2 + p];
                    ap[d + 3] = a[s3 + p];
                    ap[d + 4] = a[s4 + p];
                    ap[d + 5] = a[s5 + p];
                }
            } else if (h == MR && ars == 1) {
                for (int p = 0, d = base, s = rows; p < kc; p++, d += MR, s += acs) {
                    ap[d] = a[s];
                    ap[d + 1] = a[s + 1];
                    ap[d + 2] = a[s + 2];
                    ap[d + 3] = a[s + 3];
                    ap[d + 4] = a[s + 4];
                    ap[d + 5] = a[s + 5];
                }
            } else {
                for (int p = 0, d = base; p < kc; p++, d += MR) {
                    for (int r = 0; r < h; r++) ap[d + r] = a[rows + r * ars + p * acs];
                    for (int r = h; r < MR; r++) ap[d + r] = 0f;
                }
            }
        }
    }

    /**
     * C[MR x NR] += Apanel * Bpanel with the tile in registers. Kept free of edge handling on purpose:
     * C2 stops inlining the Vector API once a method's graph is big enough, and a tile method that also
     * held the partial-tile code left its last FMA as a real call that boxed a vector per k step
     * (hundreds of GB of garbage per minute in a training step, and half the GEMM speed).
     */
    private static void tile(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR, ai = ao + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        FloatVector.fromArray(S, c, co).add(c00).intoArray(c, co);
        FloatVector.fromArray(S, c, co + L).add(c01).intoArray(c, co + L);
        co += ldc;
        FloatVector.fromArray(S, c, co).add(c10).intoArray(c, co);
        FloatVector.fromArray(S, c, co + L).add(c11).intoArray(c, co + L);
        co += ldc;
        FloatVector.fromArray(S, c, co).add(c20).intoArray(c, co);
        FloatVector.fromArray(S, c, co + L).add(c21).intoArray(c, co + L);
        co += ldc;
        FloatVector.fromArray(S, c, co).add(c30).intoArray(c, co);
        FloatVector.fromArray(S, c, co + L).add(c31).intoArray(c, co + L);
        co += ldc;
        FloatVector.fromArray(S, c, co).add(c40).intoArray(c, co);
        FloatVector.fromArray(S, c, co + L).add(c41).intoArray(c, co + L);
        co += ldc;
        FloatVector.fromArray(S, c, co).add(c50).intoArray(c, co);
        FloatVector.fromArray(S, c, co + L).add(c51).intoArray(c, co + L);
    }

    /**
     * {@link #tile} for the first k block of a product that does not accumulate: C[MR x NR] = 0 + Apanel *
     * Bpanel, stored without reading C (the 0 + keeps a -0 product +0, as adding to a zeroed C did).
     */
    private static void tileStore(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR, ai = ao + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        c00.add(0f).intoArray(c, co);
        c01.add(0f).intoArray(c, co + L);
        co += ldc;
        c10.add(0f).intoArray(c, co);
        c11.add(0f).intoArray(c, co + L);
        co += ldc;
        c20.add(0f).intoArray(c, co);
        c21.add(0f).intoArray(c, co + L);
        co += ldc;
        c30.add(0f).intoArray(c, co);
        c31.add(0f).intoArray(c, co + L);
        co += ldc;
        c40.add(0f).intoArray(c, co);
        c41.add(0f).intoArray(c, co + L);
        co += ldc;
        c50.add(0f).intoArray(c, co);
        c51.add(0f).intoArray(c, co + L);
    }

    /** C[MR x NR] += bias[j] on every row: the bias epilogue of a full tile, on C while it is in cache. */
    private static void addBias(float[] c, int co, int ldc, float[] bias, int bo) {
        FloatVector b0 = FloatVector.fromArray(S, bias, bo), b1 = FloatVector.fromArray(S, bias, bo + L);
        for (int r = 0; r < MR; r++, co += ldc) {
            FloatVector.fromArray(S, c, co).add(b0).intoArray(c, co);
            FloatVector.fromArray(S, c, co + L).add(b1).intoArray(c, co + L);
        }
    }

    /**
     * A partial tile (mr < MR or nr < NR): the full tile into a zeroed scratch, then its valid part stored
     * (first k block) or added to C, then the bias added when given.
     */
    private static void edgeTile(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc, int mr, int nr, float[] edge,
                                 boolean store, float[] bias, int biasOff) {
        Arrays.fill(edge, 0f);
        tile(ap, ao, bp, bo, kc, edge, 0, NR);
        for (int r = 0; r < mr; r++) {
            int row = co + r * ldc;
            for (int j = 0; j < nr; j++) {
                float v = (store ? 0f : c[row + j]) + edge[r * NR + j];
                c[row + j] = bias == null ? v : v + bias[biasOff + j];
            }
        }
    }
}
