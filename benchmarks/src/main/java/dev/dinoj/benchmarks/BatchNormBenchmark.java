package dev.dinoj.benchmarks;

import dev.dinoj.tensor.BatchNormResult;
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
 * Training-mode batch normalisation of [N, C], forward and backward, on all threads: the fused op
 * (BatchNormKernels) against the same maths composed of tensor ops (what BatchNorm1d ran before, and
 * what a backend without the kernel runs). "NxC" shapes: the conv stem's three stages on a batch of 64
 * 32-px crops (16384 x 24, 4096 x 48, 1024 x 96), with and without the fused ReLU. GB/s counts one read
 * of x (and of g) and one write.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class BatchNormBenchmark {
    @Param({"16384x24", "4096x48", "1024x96"})
    public String shape;

    /** The ReLU after it, as in the conv stem's layers (fused, or the separate op and its mask in the composed variants). */
    @Param({"false", "true"})
    public boolean relu;

    private Tensor x, w, b, g;
    private BatchNormResult saved;
    private double bytes;

    @Setup
    public void setup() {
        String[] p = shape.split("x");
        int n = Integer.parseInt(p[0]), c = Integer.parseInt(p[1]);
        Generator gen = new Generator(2);
        x = Tensor.randn(gen, n, c);
        w = Tensor.randn(gen, c);
        b = Tensor.randn(gen, c);
        g = Tensor.randn(gen, n, c);
        saved = x.batchNormWithStats(w, b, 1e-5f, relu);
        bytes = 2.0 * 4 * n * c / 1e9;
    }

    @Benchmark
    public Tensor forwardFused(Bytes t) {
        t.gbyte += bytes;
        try (TensorScope s = TensorScope.open()) {
            return s.keep(x.batchNormWithStats(w, b, 1e-5f, relu).output());
        }
    }

    @Benchmark
    public Tensor forwardComposed(Bytes t) {
        t.gbyte += bytes;
        try (TensorScope s = TensorScope.open()) {
            Tensor centred = x.sub(x.mean(0, true));
            Tensor y = centred.mul(centred.square().mean(0, true).add(1e-5f).rsqrt()).mul(w).add(b);
            return s.keep(relu ? y.relu() : y);
        }
    }

    @Benchmark
    public Tensor backwardFused(Bytes t) {
        t.gbyte += 1.5 * bytes;
        try (TensorScope s = TensorScope.open()) {
            return s.keep(x.batchNormBackward(w, b, saved, relu, g, true, true)[0]);
        }
    }

    @Benchmark
    public Tensor backwardComposed(Bytes t) {
        t.gbyte += 1.5 * bytes;
        try (TensorScope s = TensorScope.open()) {
            float invN = 1f / x.size(0);
            Tensor xhat = x.sub(saved.mean()).mul(saved.rstd());
            Tensor gm = relu ? g.mul(xhat.mul(w).add(b).gt(0f)) : g;
            Tensor sg = gm.sum(0, false), sgx = gm.mul(xhat).sum(0, false);
            return s.keep(gm.sub(sg.mul(invN)).sub(xhat.mul(sgx.mul(invN))).mul(saved.rstd().mul(w)));
        }
    }
}
