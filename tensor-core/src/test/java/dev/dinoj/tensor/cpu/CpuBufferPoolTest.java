package dev.dinoj.tensor.cpu;

import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

class CpuBufferPoolTest {
    private static final int N = CpuBufferPool.MIN_POOLED + 17; // a length no other test allocates

    @Test
    void closedTensorsHandTheirArraysToTheNextAllocationOfTheSameLength() {
        Tensor t = Tensor.full(Shape.of(N), 3f, dev.dinoj.tensor.Device.CPU);
        float[] array = ((CpuStorage) t.storage()).floats();
        t.close();
        long hits = CpuBufferPool.stats()[0];
        Tensor u = Tensor.empty(N);
        assertThat(((CpuStorage) u.storage()).floats()).isSameAs(array);
        assertThat(CpuBufferPool.stats()[0]).isEqualTo(hits + 1);
        u.close();
    }

    @Test
    void scopesRecycleAndStepsStopAllocating() {
        long[] before = null;
        for (int step = 0; step < 3; step++) {
            if (step == 2) before = CpuBufferPool.stats();
            try (TensorScope s = TensorScope.open()) {
                Tensor a = Tensor.full(Shape.of(N + 1), 1f, dev.dinoj.tensor.Device.CPU);
                a.add(a).mul(a).sum();
            }
        }
        long[] after = CpuBufferPool.stats();
        assertThat(after[1]).as("allocations the pool could not serve in the third step").isEqualTo(before[1]);
        assertThat(after[0]).isGreaterThan(before[0]);
    }

    @Test
    void aCallersArrayIsNeverRecycled() {
        float[] mine = new float[N + 2];
        CpuStorage wrapped = CpuStorage.wrap(mine);
        wrapped.free(); // as when its last reference is released
        float[] next = CpuBufferPool.take(N + 2);
        assertThat(next).isNotSameAs(mine);
    }

    @Test
    void poisonFillsNewBuffersWithNaN() {
        assumeThat(Boolean.getBoolean("dinoj.cpu.poison")).as("the build runs tests with -Ddinoj.cpu.poison=true").isTrue();
        assertThat(Tensor.empty(5).toFloatArray()).containsOnly(Float.NaN);
        assertThat(Tensor.empty(N + 3).toFloatArray()[N]).isNaN();
    }
}
