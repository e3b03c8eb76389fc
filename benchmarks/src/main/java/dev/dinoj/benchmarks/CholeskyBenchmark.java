package dev.dinoj.benchmarks;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;
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
 * The coding rate's linear algebra on the CPU: Cholesky of the SPD matrix I + c Z^T Z (n^3 / 3 flops),
 * a triangular solve against n right-hand sides (n^3 flops: the inverse the log-determinant's gradient
 * needs), and the log-determinant forward and backward through autograd (a Cholesky, then two solves
 * and a product). n: SimDINO's feature widths (128, 256) and the largest (512).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class CholeskyBenchmark {
    @Param({"128", "256", "512"})
    public int n;

    private Tensor a, l, rhs;

    @Setup
    public void setup() {
        Generator gen = new Generator(3);
        Tensor z = Tensor.randn(gen, 64, n);
        a = Tensor.eye(n, Device.CPU).add(z.t().matmul(z).mul((float) n / (64 * 0.5f) / n));
        l = a.cholesky();
        rhs = Tensor.eye(n, Device.CPU);
    }

    @Benchmark
    public Tensor cholesky(Flops f) {
        f.gflop += (double) n * n * n / 3 / 1e9;
        try (TensorScope s = TensorScope.open()) {
            return s.keep(a.cholesky());
        }
    }

    @Benchmark
    public Tensor triangularSolve(Flops f) {
        f.gflop += (double) n * n * n / 1e9;
        try (TensorScope s = TensorScope.open()) {
            return s.keep(l.solveTriangular(rhs, false));
        }
    }

    @Benchmark
    public Tensor logdetForwardBackward(Flops f) {
        f.gflop += ((double) n * n * n / 3 + 2.0 * n * n * n) / 1e9;
        try (TensorScope s = TensorScope.open()) {
            Variable x = Variable.leaf(a.copy());
            x.logdetSpd().backward();
            return s.keep(x.grad());
        }
    }
}
