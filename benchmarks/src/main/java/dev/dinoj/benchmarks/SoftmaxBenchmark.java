package dev.dinoj.benchmarks;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Softmax with temperature over the last dimension, on all threads (SoftmaxKernels). "RxC" shapes:
 * DINO head logits (256 x 4096), attention rows of ViT-tiny at 65 tokens (6240 x 65), and a ViT-tiny
 * block's width (2080 x 192). GB/s counts one read of the input and one write.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class SoftmaxBenchmark {
    @Param({"256x4096", "6240x65", "2080x192"})
    public String shape;

    private Tensor x;
    private double bytes;

    @Setup
    public void setup() {
        String[] p = shape.split("x");
        int rows = Integer.parseInt(p[0]), cols = Integer.parseInt(p[1]);
        Generator g = new Generator(2);
        x = Tensor.randn(g, rows, cols);
        bytes = 2.0 * 4 * rows * cols / 1e9;
    }

    @Benchmark
    public Tensor softmax(Bytes t) {
        t.gbyte += bytes;
        return x.softmax(0.1f);
    }
}
