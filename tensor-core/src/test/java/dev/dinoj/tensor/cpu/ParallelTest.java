package dev.dinoj.tensor.cpu;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ParallelTest {
    @Test
    void everyIndexRunsExactlyOnceAndNestedLoopsDoNotDeadlock() {
        int n = 100_003;
        AtomicIntegerArray hits = new AtomicIntegerArray(n);
        Parallel.forRange(n, 7, 1_000, (s, e) -> {
            for (int i = s; i < e; i++) hits.incrementAndGet(i);
            Parallel.forRange(100, 1, 1_000_000, (s2, e2) -> { });
        });
        for (int i = 0; i < n; i++) assertThat(hits.get(i)).isEqualTo(1);
    }

    /** The pieces are consecutive, of one length (the last shorter), whoever ran them: kernels with per-piece partial sums rely on it. */
    @Test
    void piecesAreEqualConsecutiveRangesAndAFailureReachesTheCaller() {
        java.util.List<int[]> ranges = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        int n = 1_003;
        Parallel.forRange(n, 10, 1_000_000, (s, e) -> ranges.add(new int[] {s, e}));
        ranges.sort(java.util.Comparator.comparingInt(x -> x[0]));
        int size = ranges.get(0)[1] - ranges.get(0)[0];
        for (int i = 0; i < ranges.size(); i++) {
            assertThat(ranges.get(i)[0]).isEqualTo(i * size);
            assertThat(ranges.get(i)[1]).isEqualTo(Math.min(n, (i + 1) * size));
        }
        assertThat(ranges.get(ranges.size() - 1)[1]).isEqualTo(n);
        assertThat(size % 10).isZero();
        if (Parallel.threads() > 1) assertThat(ranges).hasSizeGreaterThan(1);
        assertThatThrownBy(() -> Parallel.forRange(n, 1, 1_000_000, (s, e) -> {
            if (s <= 500 && 500 < e) throw new IllegalStateException("piece with 500 failed");
        })).hasMessageContaining("piece with 500 failed");
    }

    /** Loops back to back, as a training step issues them: a lost wake-up of a worker or of the caller would hang here. */
    @Test
    void manyShortLoopsInARowAllFinish() {
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60), () -> {
            long[] sums = new long[64];
            for (int round = 0; round < 20_000; round++) {
                java.util.Arrays.fill(sums, 0);
                Parallel.forRange(64, 1, 1_000_000, (s, e) -> {
                    for (int i = s; i < e; i++) sums[i] = i;
                });
                long total = 0;
                for (long v : sums) total += v;
                assertThat(total).isEqualTo(63 * 64 / 2);
                if (round % 1_000 == 0) Thread.sleep(1); // long enough for the workers to park now and then
            }
        });
    }

    /** A second thread's loop while one runs: it runs on its own thread, with the same pieces, and both finish. */
    @Test
    void twoCallingThreadsBothGetEveryIndexOnce() throws Exception {
        int n = 50_000;
        AtomicIntegerArray a = new AtomicIntegerArray(n), b = new AtomicIntegerArray(n);
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.Callable<Void> loopsA = () -> {
            start.await();
            for (int r = 0; r < 200; r++) Parallel.forRange(n, 64, 1_000, (s, e) -> { for (int i = s; i < e; i++) a.incrementAndGet(i); });
            return null;
        };
        java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<Void> fa = other.submit(loopsA);
            start.await();
            for (int r = 0; r < 200; r++) Parallel.forRange(n, 64, 1_000, (s, e) -> { for (int i = s; i < e; i++) b.incrementAndGet(i); });
            fa.get(60, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            other.shutdownNow();
        }
        for (int i = 0; i < n; i++) {
            assertThat(a.get(i)).isEqualTo(200);
            assertThat(b.get(i)).isEqualTo(200);
        }
    }

    @Test
    void anErrorInAPieceReachesTheCallerAsItIs() {
        assertThatThrownBy(() -> Parallel.forRange(1_000, 1, 1_000_000, (s, e) -> {
            if (s == 0) throw new AssertionError("piece 0");
        })).isInstanceOf(AssertionError.class).hasMessage("piece 0");
        assertThatThrownBy(() -> Parallel.forEach(4, i -> {
            if (i == 3) throw new IllegalArgumentException("task 3");
        })).hasMessage("task 3");
    }

    @Test
    void threadCountCanBeChanged() {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(3);
            AtomicIntegerArray hits = new AtomicIntegerArray(999);
            Parallel.forRange(999, 1, 1_000_000, (s, e) -> { for (int i = s; i < e; i++) hits.incrementAndGet(i); });
            for (int i = 0; i < 999; i++) assertThat(hits.get(i)).isEqualTo(1);
            Parallel.setThreads(1);
            assertThat(Parallel.threads()).isEqualTo(1);
            assertThatThrownBy(() -> Parallel.setThreads(0)).hasMessageContaining("positive");
        } finally {
            Parallel.setThreads(before);
        }
    }
}
