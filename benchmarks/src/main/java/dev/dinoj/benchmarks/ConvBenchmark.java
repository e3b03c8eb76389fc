package dev.dinoj.benchmarks;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.Conv2d;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;
import dev.dinoj.tensor.cpu.Gemm;
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
 * Conv2d on channels-last tokens (im2col gather + GEMM), forward and forward + backward, on all threads,
 * at ResNet-18's small-image shapes on a batch of 32 32-px crops: "C-O-side-kernel-stride" for the 3x3
 * convolutions of stages 1-4 (64 at 32 px ... 512 at 4 px) and the 1x1 stride-2 downsample of stage 2.
 * :gflop counts the convolution's multiply-adds (2 per weight and output position; 3x that forward and
 * backward), so it reads directly against GemmBenchmark's GFLOP/s of the same machine.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx6g"})
public class ConvBenchmark {
    @Param({"64-64-32-3-1", "128-128-16-3-1", "256-256-8-3-1", "512-512-4-3-1", "64-128-32-1-2"})
    public String shape;

    @Param({"32"})
    public int batch;

    private Conv2d conv;
    private Tensor x;
    private int side;
    private double gflop;

    @Setup
    public void setup() {
        String[] p = shape.split("-");
        int c = Integer.parseInt(p[0]), o = Integer.parseInt(p[1]), k = Integer.parseInt(p[3]), s = Integer.parseInt(p[4]);
        side = Integer.parseInt(p[2]);
        Generator g = new Generator(4);
        conv = new Conv2d(c, o, k, s, k / 2, false, g);
        x = Tensor.randn(g, batch, side * side, c);
        int out = conv.outputSize(side);
        gflop = 2.0 * batch * out * out * o * c * k * k / 1e9;
        System.out.println("\n# GEMM kernel: " + Gemm.kernelName());
    }

    @Benchmark
    public Tensor forward(Flops t) {
        t.gflop += gflop;
        try (TensorScope s = TensorScope.open()) {
            return s.keep(conv.forwardTokens(Variable.constant(x), side, side).data());
        }
    }

    @Benchmark
    public double forwardBackward(Flops t) {
        t.gflop += 3 * gflop;
        try (TensorScope s = TensorScope.open()) {
            Variable in = Variable.leaf(x);
            Variable y = conv.forwardTokens(in, side, side);
            y.sum().backward();
            double r = in.grad().sum().item();
            conv.zeroGrad();
            return r;
        }
    }
}
