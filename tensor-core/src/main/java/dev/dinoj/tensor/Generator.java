package dev.dinoj.tensor;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A seeded source of random tensors: a seed and a running Philox counter offset. Each random tensor
 * reserves the counter blocks it uses, so the stream is reproducible from (seed, offset), on any
 * device, and the state can be saved in a checkpoint and restored.
 */
public final class Generator {
    private static final Generator GLOBAL = new Generator(0x5EEDL);

    private volatile long seed;
    private final AtomicLong offset = new AtomicLong();

    public Generator(long seed) {
        this.seed = seed;
    }

    /** The process-wide generator used when none is passed. */
    public static Generator global() {
        return GLOBAL;
    }

    public long seed() {
        return seed;
    }

    public long offset() {
        return offset.get();
    }

    /** Restores a saved state. */
    public synchronized void setState(long seed, long offset) {
        if (offset < 0) throw new IllegalArgumentException("generator offset must be >= 0, got " + offset);
        this.seed = seed;
        this.offset.set(offset);
    }

    /** Reserves {@code blocks} counter blocks and returns the first. */
    public long reserve(long blocks) {
        return offset.getAndAdd(blocks);
    }

    /** A new generator whose seed is drawn from this one: independent streams for workers. */
    public Generator fork() {
        int[] w = new int[4];
        Philox.block(seed, reserve(1), w);
        return new Generator(((long) w[0] << 32) ^ (w[1] & 0xFFFFFFFFL));
    }

    /** One uniform float in [0, 1) from this stream (for scalar decisions such as augmentation choices). */
    public float nextFloat() {
        int[] w = new int[4];
        Philox.block(seed, reserve(1), w);
        return Philox.uniform(w[0]);
    }

    @Override
    public String toString() {
        return "Generator(seed=" + seed + ", offset=" + offset.get() + ")";
    }
}
