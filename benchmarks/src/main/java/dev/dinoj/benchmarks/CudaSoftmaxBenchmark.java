package dev.dinoj.benchmarks;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

import static dev.dinoj.benchmarks.CudaSync.REPS;

/** softmax.cu: the teacher's softmax at temperature 0.04 over 65536-wide rows (128 of them). */
public class CudaSoftmaxBenchmark extends CudaBenchmark {
    private Tensor teacher;

    @Setup
    public void setup() {
        open();
        teacher = own(CudaSync.randn(d, new Generator(7), 2 * BATCH, OUT_DIM));
        CudaSync.synchronize(d);
    }

    @Benchmark
    public void softmax(Bytes b) {
        CudaSync.repeat(d, () -> teacher.softmax(0.04f));
        b.gbyte += REPS * gb(2.0 * teacher.numel());
    }
}
