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

    @Test
    void threadCountCanBeChanged() {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            assertThat(Parallel.threads()).isEqualTo(1);
            assertThatThrownBy(() -> Parallel.setThreads(0)).hasMessageContaining("positive");
        } finally {
            Parallel.setThreads(before);
        }
    }
}
