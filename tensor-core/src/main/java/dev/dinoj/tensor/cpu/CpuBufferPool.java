package dev.dinoj.tensor.cpu;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.SoftReference;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Recycles the float arrays of closed CPU tensors. A training step allocates the same few hundred
 * activation and gradient shapes every time (about 5.5 GB per step of the DINO benchmark); left to the
 * garbage collector, those humongous arrays kept G1 in back-to-back collections and cost zeroing on
 * every allocation. Tensors closed by a {@link dev.dinoj.tensor.TensorScope} (or by hand) hand their
 * array back here, and the next allocation of the same length takes it.
 *
 * <p>Arrays are held through soft references, so the collector may still take them when the heap runs
 * short: the pool never causes an OutOfMemoryError. Only arrays of at least {@link #MIN_POOLED}
 * elements are pooled; smaller ones are cheap to allocate. A recycled array keeps its old contents
 * (tensor contents are undefined until written, as on every device); with the system property
 * {@code dinoj.cpu.poison=true} every new float buffer is filled with NaN instead, so that tests catch
 * a kernel that reads an output before writing it.
 */
final class CpuBufferPool {
    static final int MIN_POOLED = 16 * 1024;
    private static final boolean POISON = Boolean.getBoolean("dinoj.cpu.poison");
    private static final Map<Integer, ConcurrentLinkedDeque<Slot>> FREE = new ConcurrentHashMap<>();
    /** Slots whose array the collector took; purged so that their entries do not pile up. */
    private static final ReferenceQueue<float[]> CLEARED = new ReferenceQueue<>();
    private static final AtomicLong HITS = new AtomicLong(), MISSES = new AtomicLong();

    private CpuBufferPool() {}

    /** A float array of exactly n elements, recycled when one is free; contents undefined. */
    static float[] take(int n) {
        float[] a = n >= MIN_POOLED ? reuse(n) : null;
        if (a == null) {
            if (n >= MIN_POOLED) MISSES.incrementAndGet();
            a = new float[n];
        } else {
            HITS.incrementAndGet();
        }
        if (POISON) Arrays.fill(a, Float.NaN);
        return a;
    }

    /** A pooled array, remembering its length for the purge after the collector took it. */
    private static final class Slot extends SoftReference<float[]> {
        final int length;

        Slot(float[] a) {
            super(a, CLEARED);
            length = a.length;
        }
    }

    private static float[] reuse(int n) {
        ConcurrentLinkedDeque<Slot> free = FREE.get(n);
        if (free == null) return null;
        Slot ref;
        while ((ref = free.pollFirst()) != null) {
            float[] a = ref.get();
            if (a != null) return a;
        }
        return null;
    }

    /** Takes back an array that no tensor uses any more. */
    static void give(float[] a) {
        if (a.length < MIN_POOLED) return;
        purge();
        FREE.computeIfAbsent(a.length, k -> new ConcurrentLinkedDeque<>()).addFirst(new Slot(a));
    }

    private static void purge() {
        Reference<? extends float[]> r;
        while ((r = CLEARED.poll()) != null) {
            Slot s = (Slot) r;
            ConcurrentLinkedDeque<Slot> free = FREE.get(s.length);
            if (free != null) free.remove(s);
        }
    }

    /** Allocations served from the pool, and allocations of poolable size that were not. */
    static long[] stats() {
        return new long[] {HITS.get(), MISSES.get()};
    }
}
