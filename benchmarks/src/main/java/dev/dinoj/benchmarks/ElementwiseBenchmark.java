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
 * Elementwise ops on all threads: a same-shape add (memory bound: 12 bytes per element), a bias add
 * broadcasting [C] over [N, C], the EMA step (lerp in place) and exact GELU (compute bound).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class ElementwiseBenchmark {
    @Param({"1048576", "8388608"})
    public int n;

    private Tensor x, y, bias, x2d;

    @Setup
    public void setup() {
        Generator g = new Generator(3);
        x = Tensor.randn(g, n);
        y = Tensor.randn(g, n);
        x2d = x.view(n / 256, 256);
        bias = Tensor.randn(g, 256);
    }

    @Benchmark
    public Tensor add(Bytes t) {
        t.gbyte += 12.0 * n / 1e9;
        return x.add(y);
    }

    @Benchmark
    public Tensor biasAdd(Bytes t) {
        t.gbyte += 8.0 * n / 1e9;
        return x2d.add(bias);
    }

    @Benchmark
    public Tensor emaLerpInPlace(Bytes t) {
        t.gbyte += 12.0 * n / 1e9;
        return x.lerpInPlace(y, 0.004f);
    }

    @Benchmark
    public Tensor gelu(Bytes t) {
        t.gbyte += 8.0 * n / 1e9;
        return x.gelu();
    }
}
