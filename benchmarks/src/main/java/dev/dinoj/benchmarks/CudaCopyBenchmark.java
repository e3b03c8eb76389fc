package dev.dinoj.benchmarks;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

import static dev.dinoj.benchmarks.CudaSync.REPS;

/** Device-to-device copy of 256 MB: the bandwidth the memory-bound kernels are judged against. */
public class CudaCopyBenchmark extends CudaBenchmark {
    private Tensor src;

    @Setup
    public void setup() {
        open();
        src = own(CudaSync.randn(d, new Generator(7), 64 << 20));
        CudaSync.synchronize(d);
    }

    @Benchmark
    public void copy(Bytes b) {
        CudaSync.repeat(d, () -> src.copy());
        b.gbyte += REPS * gb(2.0 * src.numel());
    }
}
