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
 * LayerNorm over the last dimension with weight and bias, on all threads (LayerNormKernels). "RxC"
 * shapes: 256 x 4096, 6240 x 65, and the LayerNorm input of a ViT-tiny block (2080 x 192). GB/s counts
 * one read of the input and one write.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class LayerNormBenchmark {
    @Param({"256x4096", "6240x65", "2080x192"})
    public String shape;

    private Tensor x, w, b;
    private double bytes;

    @Setup
    public void setup() {
        String[] p = shape.split("x");
        int rows = Integer.parseInt(p[0]), cols = Integer.parseInt(p[1]);
        Generator g = new Generator(2);
        x = Tensor.randn(g, rows, cols);
        w = Tensor.randn(g, cols);
        b = Tensor.randn(g, cols);
        bytes = 2.0 * 4 * rows * cols / 1e9;
    }

    @Benchmark
    public Tensor layerNorm(Bytes t) {
        t.gbyte += bytes;
        return x.layerNorm(w, b, 1e-6f);
    }
}
