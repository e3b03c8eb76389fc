package dev.dinoj.tensor;

/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a counter-based
 * generator, so element i of a random tensor depends only on (seed, counter) and any device can
 * reproduce it independently. Counter block n is (low32(n), high32(n), 0, 0); the key is the seed.
 */
public final class Philox {
    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;
    private static final float TWO_POW_MINUS_24 = 1.0f / (1 << 24);

    private Philox() {}

    /** Fills {@code out[0..3]} with the four 32-bit words of counter block {@code block} under {@code seed}. */
    public static void block(long seed, long block, int[] out) {
        rounds((int) block, (int) (block >>> 32), 0, 0, (int) seed, (int) (seed >>> 32), out);
    }

    /** The ten Philox4x32 rounds on a full 128-bit counter and 64-bit key. */
    public static void rounds(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int round = 0; round < 10; round++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c0 = n0;
            c1 = (int) p1;
            c2 = n2;
            c3 = (int) p0;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /** A word mapped to [0, 1) with 24 random bits (exactly representable in float32). */
    public static float uniform(int word) {
        return (word >>> 8) * TWO_POW_MINUS_24;
    }

    /** A word mapped to (0, 1], safe for log. */
    public static float uniformOpenZero(int word) {
        return ((word >>> 8) + 1) * TWO_POW_MINUS_24;
    }

    /** Box-Muller (cosine branch) of two words: one standard normal value. */
    public static float normal(int w0, int w1) {
        double r = Math.sqrt(-2.0 * Math.log(uniformOpenZero(w0)));
        return (float) (r * Math.cos(2.0 * Math.PI * uniform(w1)));
    }

    /** Counter blocks a tensor of {@code numel} elements consumes. */
    public static long blocksFor(RandomDistribution dist, long numel) {
        long perBlock = 4 / dist.wordsPerElement();
        return (numel + perBlock - 1) / perBlock;
    }
}
