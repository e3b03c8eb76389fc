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
