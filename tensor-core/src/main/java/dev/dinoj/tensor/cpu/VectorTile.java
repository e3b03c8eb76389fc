package dev.dinoj.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.List;

/**
 * The register tile of {@link VectorGemmKernel}: C[mr x nr] = Apanel * Bpanel over kc, the tile held in
 * mr * nrVectors vector registers while k runs (per k step: nrVectors loads of B, mr broadcasts of A,
 * mr * nrVectors FMAs). Which shape is fastest depends on the register file and the load ports, so
 * {@link VectorGemmKernel#fastest} measures them at start-up: 6x2 uses 12 accumulators (of AVX2's 16
 * ymm registers), 12x2 and 8x3 use 24 (of AVX-512's 32 zmm), with fewer loads per FMA.
 *
 * <p>Each shape is written out by hand, accumulators as locals and nothing else in the method: C2
 * keeps FloatVector locals in registers only when it inlines every Vector API call, which it stops
 * doing once a method's graph is big (edge handling or an array of accumulators in the same method
 * left calls that box a vector per k step: 50x slower). The k loop runs on A's index itself: with a
 * counter p and indices computed from it, JDK 17's C2 kept every bounds check and index product in
 * the loop (about 25 integer instructions per 12 FMAs, which held the 6x2 tile to ~50 GFLOP/s of a
 * Zen 3 core's ~78); with A's index as the induction variable it removes A's checks (~10 remain,
 * the tile at ~70). The loop does several k steps per iteration (two or four), which spreads B's
 * remaining checks and the loop control over more FMAs: on a Xeon with AVX-512 (one thread, the tile
 * alone on packed operands in cache) 6x2 went from 130 to 146 GFLOP/s, 12x2 from 156 to 170 (a C
 * version of the same tile: 158 and 175).
 *
 * <p>A tile only stores (C = A * B + bias for one k block); adding to C is {@link VectorGemmKernel}'s, through
 * a scratch tile. With the load-add-store epilogue in the same method, JDK 17's C1 could not compile
 * the 24-accumulator tiles at its profiling tier ("out of virtual registers in linear scan"); when the
 * JIT had first given such a method C1's limited-profile tier (it does when C2's queue is long, as at
 * start-up) it never left it, and the tile ran at ~1 GFLOP/s for the life of the JVM: whether a JVM
 * could use 12x2 or 8x3 was a lottery. Store-only, every tile passes through C1's tiers to C2.
 */
abstract class VectorTile {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /** Rows, vectors of columns, columns. */
    final int mr, nrVectors, nr;

    VectorTile(int mr, int nrVectors) {
        this.mr = mr;
        this.nrVectors = nrVectors;
        this.nr = nrVectors * L;
    }

    /**
     * C[mr x nr] = A * B + bias over kc k steps, C neither read nor zeroed first: ap[ao + p*mr + r] = A[r, p],
     * bp[bo + p*nr + j] = B[p, j], bias[biasOff + j] added to every row (NO_BIAS for none), C[r, j] =
     * c[co + r*ldc + j]. Each element is one FMA chain from +0 in the order p = 0, 1, ..., kc - 1, whatever
     * the unrolling, then + bias. The accumulators start at +0 and so are never -0 (under round-to-nearest
     * a sum is -0 only when both terms are): adding NO_BIAS's zeros changes no bit, adding the result to a
     * C gives the same bits as accumulating onto it, and storing it the same bits as adding it to zeros.
     * The bias is added here, to the accumulators, rather than in a second pass over the stored tile (which
     * was 3% of a DINO step's samples on the Xeon).
     */
    abstract void multiply(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc, float[] bias, int biasOff);

    /** The bias of a product without one: zeros, as wide as the widest tile. */
    static final float[] NO_BIAS = new float[4 * L];

    String shape() {
        return mr + "x" + nrVectors;
    }

    /** Vector registers of the ISA: 32 with 512-bit vectors (AVX-512's zmm), else 16 (AVX2's ymm). */
    static final int REGISTERS = S.vectorBitSize() >= 512 ? 32 : 16;

    /** Vector registers the k loop keeps live: the accumulators, B's vectors and one broadcast of A. */
    int registers() {
        return mr * nrVectors + nrVectors + 1;
    }

    /** Every shape, the narrow one first (the choice when measurements tie). */
    static List<VectorTile> all() {
        return List.of(new Tile6x2(), new Tile12x2(), new Tile8x3());
    }

    /**
     * The shapes whose k loop fits this machine's register file: the ones the start-up measurement may
     * choose. On AVX2 (16 registers) that is 6x2 only: JDK 17's C2 never compiled 12x2 there (it stayed in
     * C1 code at ~1 GFLOP/s, and a measurement on a loaded machine, before C2 had compiled the others,
     * once chose it: two training runs crawled at 0.3 images/s). The others still compute the same bits
     * when forced (dinoj.gemm.tile), slowly.
     */
    static List<VectorTile> fitting() {
        return all().stream().filter(t -> t.registers() <= REGISTERS).toList();
    }

    /** The shape called {@code name} ("6x2", "12x2", "8x3"). */
    static VectorTile named(String name) {
        for (VectorTile t : all()) {
            if (t.shape().equals(name)) return t;
        }
        throw new IllegalArgumentException("no GEMM register tile " + name + "; the tiles are 6x2, 12x2 and 8x3");
    }

    /** 6 rows x 2 vectors, four k steps per iteration: 12 accumulators, 2 loads + 6 broadcasts per 12 FMAs. */
    static final class Tile6x2 extends VectorTile {
        Tile6x2() {
            super(6, 2);
        }

        @Override
        void multiply(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc, float[] bias, int biasOff) {
            FloatVector c0_0 = FloatVector.zero(S), c0_1 = FloatVector.zero(S);
            FloatVector c1_0 = FloatVector.zero(S), c1_1 = FloatVector.zero(S);
            FloatVector c2_0 = FloatVector.zero(S), c2_1 = FloatVector.zero(S);
            FloatVector c3_0 = FloatVector.zero(S), c3_1 = FloatVector.zero(S);
            FloatVector c4_0 = FloatVector.zero(S), c4_1 = FloatVector.zero(S);
            FloatVector c5_0 = FloatVector.zero(S), c5_1 = FloatVector.zero(S);
            int ai = ao, bi = bo;
            for (int end = ao + kc / 4 * 24; ai < end; ai += 24, bi += 8 * L) {
                FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + L);
                FloatVector a = FloatVector.broadcast(S, ap[ai]); c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
                a = FloatVector.broadcast(S, ap[ai + 1]); c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
                a = FloatVector.broadcast(S, ap[ai + 2]); c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
                a = FloatVector.broadcast(S, ap[ai + 3]); c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
                a = FloatVector.broadcast(S, ap[ai + 4]); c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
                a = FloatVector.broadcast(S, ap[ai + 5]); c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
                b0 = FloatVector.fromArray(S, bp, bi + 2 * L); b1 = FloatVector.fromArray(S, bp, bi + 3 * L);
                a = FloatVector.broadcast(S, ap[ai + 6]); c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
                a = FloatVector.broadcast(S, ap[ai + 7]); c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
                a = FloatVector.broadcast(S, ap[ai + 8]); c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
                a = FloatVector.broadcast(S, ap[ai + 9]); c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
                a = FloatVector.broadcast(S, ap[ai + 10]); c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
                a = FloatVector.broadcast(S, ap[ai + 11]); c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
                b0 = FloatVector.fromArray(S, bp, bi + 4 * L); b1 = FloatVector.fromArray(S, bp, bi + 5 * L);
                a = FloatVector.broadcast(S, ap[ai + 12]); c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
                a = FloatVector.broadcast(S, ap[ai + 13]); c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
                a = FloatVector.broadcast(S, ap[ai + 14]); c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
                a = FloatVector.broadcast(S, ap[ai + 15]); c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
                a = FloatVector.broadcast(S, ap[ai + 16]); c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
                a = FloatVector.broadcast(S, ap[ai + 17]); c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
                b0 = FloatVector.fromArray(S, bp, bi + 6 * L); b1 = FloatVector.fromArray(S, bp, bi + 7 * L);
                a = FloatVector.broadcast(S, ap[ai + 18]); c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
                a = FloatVector.broadcast(S, ap[ai + 19]); c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
                a = FloatVector.broadcast(S, ap[ai + 20]); c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
                a = FloatVector.broadcast(S, ap[ai + 21]); c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
                a = FloatVector.broadcast(S, ap[ai + 22]); c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
                a = FloatVector.broadcast(S, ap[ai + 23]); c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
            }
            for (int end = ao + kc * 6; ai < end; ai += 6, bi += 2 * L) {
                FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + L);
                FloatVector a = FloatVector.broadcast(S, ap[ai]); c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
                a = FloatVector.broadcast(S, ap[ai + 1]); c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
                a = FloatVector.broadcast(S, ap[ai + 2]); c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
                a = FloatVector.broadcast(S, ap[ai + 3]); c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
                a = FloatVector.broadcast(S, ap[ai + 4]); c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
                a = FloatVector.broadcast(S, ap[ai + 5]); c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
            }
            FloatVector d0 = FloatVector.fromArray(S, bias, biasOff), d1 = FloatVector.fromArray(S, bias, biasOff + L);
            c0_0.add(d0).intoArray(c, co); c0_1.add(d1).intoArray(c, co + L); co += ldc;
            c1_0.add(d0).intoArray(c, co); c1_1.add(d1).intoArray(c, co + L); co += ldc;
            c2_0.add(d0).intoArray(c, co); c2_1.add(d1).intoArray(c, co + L); co += ldc;
            c3_0.add(d0).intoArray(c, co); c3_1.add(d1).intoArray(c, co + L); co += ldc;
            c4_0.add(d0).intoArray(c, co); c4_1.add(d1).intoArray(c, co + L); co += ldc;
            c5_0.add(d0).intoArray(c, co); c5_1.add(d1).intoArray(c, co + L);
        }
    }

    /** 12 rows x 2 vectors, two k steps per iteration: 24 accumulators, 2 loads + 12 broadcasts per 24 FMAs. */
    static final class Tile12x2 extends VectorTile {
        Tile12x2() {
            super(12, 2);
        }

        @Override
        void multiply(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc, float[] bias, int biasOff) {
            FloatVector c0_0 = FloatVector.zero(S), c0_1 = FloatVector.zero(S);
            FloatVector c1_0 = FloatVector.zero(S), c1_1 = FloatVector.zero(S);
            FloatVector c2_0 = FloatVector.zero(S), c2_1 = FloatVector.zero(S);
            FloatVector c3_0 = FloatVector.zero(S), c3_1 = FloatVector.zero(S);
            FloatVector c4_0 = FloatVector.zero(S), c4_1 = FloatVector.zero(S);
            FloatVector c5_0 = FloatVector.zero(S), c5_1 = FloatVector.zero(S);
            FloatVector c6_0 = FloatVector.zero(S), c6_1 = FloatVector.zero(S);
            FloatVector c7_0 = FloatVector.zero(S), c7_1 = FloatVector.zero(S);
            FloatVector c8_0 = FloatVector.zero(S), c8_1 = FloatVector.zero(S);
            FloatVector c9_0 = FloatVector.zero(S), c9_1 = FloatVector.zero(S);
            FloatVector c10_0 = FloatVector.zero(S), c10_1 = FloatVector.zero(S);
            FloatVector c11_0 = FloatVector.zero(S), c11_1 = FloatVector.zero(S);
            int ai = ao, bi = bo;
            for (int end = ao + kc / 2 * 24; ai < end; ai += 24, bi += 4 * L) {
                FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + L);
                FloatVector a = FloatVector.broadcast(S, ap[ai]); c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
                a = FloatVector.broadcast(S, ap[ai + 1]); c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
                a = FloatVector.broadcast(S, ap[ai + 2]); c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
                a = FloatVector.broadcast(S, ap[ai + 3]); c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
                a = FloatVector.broadcast(S, ap[ai + 4]); c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
                a = FloatVector.broadcast(S, ap[ai + 5]); c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
                a = FloatVector.broadcast(S, ap[ai + 6]); c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1);
                a = FloatVector.broadcast(S, ap[ai + 7]); c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1);
                a = FloatVector.broadcast(S, ap[ai + 8]); c8_0 = a.fma(b0, c8_0); c8_1 = a.fma(b1, c8_1);
                a = FloatVector.broadcast(S, ap[ai + 9]); c9_0 = a.fma(b0, c9_0); c9_1 = a.fma(b1, c9_1);
                a = FloatVector.broadcast(S, ap[ai + 10]); c10_0 = a.fma(b0, c10_0); c10_1 = a.fma(b1, c10_1);
                a = FloatVector.broadcast(S, ap[ai + 11]); c11_0 = a.fma(b0, c11_0); c11_1 = a.fma(b1, c11_1);
                b0 = FloatVector.fromArray(S, bp, bi + 2 * L); b1 = FloatVector.fromArray(S, bp, bi + 3 * L);
                a = FloatVector.broadcast(S, ap[ai + 12]); c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
                a = FloatVector.broadcast(S, ap[ai + 13]); c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
                a = FloatVector.broadcast(S, ap[ai + 14]); c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
                a = FloatVector.broadcast(S, ap[ai + 15]); c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
                a = FloatVector.broadcast(S, ap[ai + 16]); c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
                a = FloatVector.broadcast(S, ap[ai + 17]); c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
                a = FloatVector.broadcast(S, ap[ai + 18]); c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1);
                a = FloatVector.broadcast(S, ap[ai + 19]); c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1);
                a = FloatVector.broadcast(S, ap[ai + 20]); c8_0 = a.fma(b0, c8_0); c8_1 = a.fma(b1, c8_1);
                a = FloatVector.broadcast(S, ap[ai + 21]); c9_0 = a.fma(b0, c9_0); c9_1 = a.fma(b1, c9_1);
                a = FloatVector.broadcast(S, ap[ai + 22]); c10_0 = a.fma(b0, c10_0); c10_1 = a.fma(b1, c10_1);
                a = FloatVector.broadcast(S, ap[ai + 23]); c11_0 = a.fma(b0, c11_0); c11_1 = a.fma(b1, c11_1);
            }
            for (int end = ao + kc * 12; ai < end; ai += 12, bi += 2 * L) {
                FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + L);
                FloatVector a = FloatVector.broadcast(S, ap[ai]); c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
                a = FloatVector.broadcast(S, ap[ai + 1]); c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
                a = FloatVector.broadcast(S, ap[ai + 2]); c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
                a = FloatVector.broadcast(S, ap[ai + 3]); c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
                a = FloatVector.broadcast(S, ap[ai + 4]); c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
                a = FloatVector.broadcast(S, ap[ai + 5]); c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
                a = FloatVector.broadcast(S, ap[ai + 6]); c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1);
                a = FloatVector.broadcast(S, ap[ai + 7]); c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1);
                a = FloatVector.broadcast(S, ap[ai + 8]); c8_0 = a.fma(b0, c8_0); c8_1 = a.fma(b1, c8_1);
                a = FloatVector.broadcast(S, ap[ai + 9]); c9_0 = a.fma(b0, c9_0); c9_1 = a.fma(b1, c9_1);
                a = FloatVector.broadcast(S, ap[ai + 10]); c10_0 = a.fma(b0, c10_0); c10_1 = a.fma(b1, c10_1);
                a = FloatVector.broadcast(S, ap[ai + 11]); c11_0 = a.fma(b0, c11_0); c11_1 = a.fma(b1, c11_1);
            }
            FloatVector d0 = FloatVector.fromArray(S, bias, biasOff), d1 = FloatVector.fromArray(S, bias, biasOff + L);
            c0_0.add(d0).intoArray(c, co); c0_1.add(d1).intoArray(c, co + L); co += ldc;
            c1_0.add(d0).intoArray(c, co); c1_1.add(d1).intoArray(c, co + L); co += ldc;
            c2_0.add(d0).intoArray(c, co); c2_1.add(d1).intoArray(c, co + L); co += ldc;
            c3_0.add(d0).intoArray(c, co); c3_1.add(d1).intoArray(c, co + L); co += ldc;
            c4_0.add(d0).intoArray(c, co); c4_1.add(d1).intoArray(c, co + L); co += ldc;
            c5_0.add(d0).intoArray(c, co); c5_1.add(d1).intoArray(c, co + L); co += ldc;
            c6_0.add(d0).intoArray(c, co); c6_1.add(d1).intoArray(c, co + L); co += ldc;
            c7_0.add(d0).intoArray(c, co); c7_1.add(d1).intoArray(c, co + L); co += ldc;
            c8_0.add(d0).intoArray(c, co); c8_1.add(d1).intoArray(c, co + L); co += ldc;
            c9_0.add(d0).intoArray(c, co); c9_1.add(d1).intoArray(c, co + L); co += ldc;
            c10_0.add(d0).intoArray(c, co); c10_1.add(d1).intoArray(c, co + L); co += ldc;
            c11_0.add(d0).intoArray(c, co); c11_1.add(d1).intoArray(c, co + L);
        }
    }

    /** 8 rows x 3 vectors, two k steps per iteration: 24 accumulators, 3 loads + 8 broadcasts per 24 FMAs. */
    static final class Tile8x3 extends VectorTile {
        Tile8x3() {
            super(8, 3);
        }

        @Override
        void multiply(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc, float[] bias, int biasOff) {
            FloatVector c0_0 = FloatVector.zero(S), c0_1 = FloatVector.zero(S), c0_2 = FloatVector.zero(S);
            FloatVector c1_0 = FloatVector.zero(S), c1_1 = FloatVector.zero(S), c1_2 = FloatVector.zero(S);
            FloatVector c2_0 = FloatVector.zero(S), c2_1 = FloatVector.zero(S), c2_2 = FloatVector.zero(S);
            FloatVector c3_0 = FloatVector.zero(S), c3_1 = FloatVector.zero(S), c3_2 = FloatVector.zero(S);
            FloatVector c4_0 = FloatVector.zero(S), c4_1 = FloatVector.zero(S), c4_2 = FloatVector.zero(S);
            FloatVector c5_0 = FloatVector.zero(S), c5_1 = FloatVector.zero(S), c5_2 = FloatVector.zero(S);
            FloatVector c6_0 = FloatVector.zero(S), c6_1 = FloatVector.zero(S), c6_2 = FloatVector.zero(S);
            FloatVector c7_0 = FloatVector.zero(S), c7_1 = FloatVector.zero(S), c7_2 = FloatVector.zero(S);
            int ai = ao, bi = bo;
            for (int end = ao + kc / 2 * 16; ai < end; ai += 16, bi += 6 * L) {
                FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + L), b2 = FloatVector.fromArray(S, bp, bi + 2 * L);
                FloatVector a = FloatVector.broadcast(S, ap[ai]); c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1); c0_2 = a.fma(b2, c0_2);
                a = FloatVector.broadcast(S, ap[ai + 1]); c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1); c1_2 = a.fma(b2, c1_2);
                a = FloatVector.broadcast(S, ap[ai + 2]); c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1); c2_2 = a.fma(b2, c2_2);
                a = FloatVector.broadcast(S, ap[ai + 3]); c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1); c3_2 = a.fma(b2, c3_2);
                a = FloatVector.broadcast(S, ap[ai + 4]); c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1); c4_2 = a.fma(b2, c4_2);
                a = FloatVector.broadcast(S, ap[ai + 5]); c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1); c5_2 = a.fma(b2, c5_2);
                a = FloatVector.broadcast(S, ap[ai + 6]); c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1); c6_2 = a.fma(b2, c6_2);
                a = FloatVector.broadcast(S, ap[ai + 7]); c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1); c7_2 = a.fma(b2, c7_2);
                b0 = FloatVector.fromArray(S, bp, bi + 3 * L); b1 = FloatVector.fromArray(S, bp, bi + 4 * L); b2 = FloatVector.fromArray(S, bp, bi + 5 * L);
                a = FloatVector.broadcast(S, ap[ai + 8]); c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1); c0_2 = a.fma(b2, c0_2);
                a = FloatVector.broadcast(S, ap[ai + 9]); c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1); c1_2 = a.fma(b2, c1_2);
                a = FloatVector.broadcast(S, ap[ai + 10]); c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1); c2_2 = a.fma(b2, c2_2);
                a = FloatVector.broadcast(S, ap[ai + 11]); c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1); c3_2 = a.fma(b2, c3_2);
                a = FloatVector.broadcast(S, ap[ai + 12]); c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1); c4_2 = a.fma(b2, c4_2);
                a = FloatVector.broadcast(S, ap[ai + 13]); c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1); c5_2 = a.fma(b2, c5_2);
                a = FloatVector.broadcast(S, ap[ai + 14]); c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1); c6_2 = a.fma(b2, c6_2);
                a = FloatVector.broadcast(S, ap[ai + 15]); c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1); c7_2 = a.fma(b2, c7_2);
            }
            for (int end = ao + kc * 8; ai < end; ai += 8, bi += 3 * L) {
                FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + L), b2 = FloatVector.fromArray(S, bp, bi + 2 * L);
                FloatVector a = FloatVector.broadcast(S, ap[ai]); c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1); c0_2 = a.fma(b2, c0_2);
                a = FloatVector.broadcast(S, ap[ai + 1]); c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1); c1_2 = a.fma(b2, c1_2);
                a = FloatVector.broadcast(S, ap[ai + 2]); c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1); c2_2 = a.fma(b2, c2_2);
                a = FloatVector.broadcast(S, ap[ai + 3]); c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1); c3_2 = a.fma(b2, c3_2);
                a = FloatVector.broadcast(S, ap[ai + 4]); c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1); c4_2 = a.fma(b2, c4_2);
                a = FloatVector.broadcast(S, ap[ai + 5]); c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1); c5_2 = a.fma(b2, c5_2);
                a = FloatVector.broadcast(S, ap[ai + 6]); c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1); c6_2 = a.fma(b2, c6_2);
                a = FloatVector.broadcast(S, ap[ai + 7]); c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1); c7_2 = a.fma(b2, c7_2);
            }
            FloatVector d0 = FloatVector.fromArray(S, bias, biasOff), d1 = FloatVector.fromArray(S, bias, biasOff + L), d2 = FloatVector.fromArray(S, bias, biasOff + 2 * L);
            c0_0.add(d0).intoArray(c, co); c0_1.add(d1).intoArray(c, co + L); c0_2.add(d2).intoArray(c, co + 2 * L); co += ldc;
            c1_0.add(d0).intoArray(c, co); c1_1.add(d1).intoArray(c, co + L); c1_2.add(d2).intoArray(c, co + 2 * L); co += ldc;
            c2_0.add(d0).intoArray(c, co); c2_1.add(d1).intoArray(c, co + L); c2_2.add(d2).intoArray(c, co + 2 * L); co += ldc;
            c3_0.add(d0).intoArray(c, co); c3_1.add(d1).intoArray(c, co + L); c3_2.add(d2).intoArray(c, co + 2 * L); co += ldc;
            c4_0.add(d0).intoArray(c, co); c4_1.add(d1).intoArray(c, co + L); c4_2.add(d2).intoArray(c, co + 2 * L); co += ldc;
            c5_0.add(d0).intoArray(c, co); c5_1.add(d1).intoArray(c, co + L); c5_2.add(d2).intoArray(c, co + 2 * L); co += ldc;
            c6_0.add(d0).intoArray(c, co); c6_1.add(d1).intoArray(c, co + L); c6_2.add(d2).intoArray(c, co + 2 * L); co += ldc;
            c7_0.add(d0).intoArray(c, co); c7_1.add(d1).intoArray(c, co + L); c7_2.add(d2).intoArray(c, co + 2 * L);
        }
    }

}
