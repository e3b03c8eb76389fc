package dev.dinoj.benchmarks;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.TransformerBlock;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Forward + backward of one ViT-tiny transformer block (width 192, 3 heads, MLP 768) on a batch of
 * 32 sequences of 65 tokens, on all CPU threads. The gflop counter counts the GEMM work (3x the
 * forward matmul FLOPs: forward, input gradient, weight gradient).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 4)
@Measurement(iterations = 5, time = 4)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx6g"})
public class TransformerBlockBenchmark {
    private static final int B = 32, N = 65, D = 192, H = 3;
    private TransformerBlock block;
    private Tensor x, gradOut;

    @Setup
    public void setup() {
        Generator g = new Generator(1);
        block = new TransformerBlock(D, H, 4f, true, 0f, 0f, 0.1f, 1e-6f, g);
        x = Tensor.randn(g, B, N, D);
        gradOut = Tensor.randn(g, B, N, D);
    }

    @Benchmark
    public Tensor forwardBackward(Flops f) {
        block.zeroGrad();
        Variable in = Variable.leaf(x);
        Variable out = block.forward(in);
        out.backward(gradOut);
        double tokens = (double) B * N;
        double matmul = 2 * tokens * (D * 3 * D + D * D + 2 * D * 4 * D) + 2 * 2.0 * B * H * N * N * (D / H);
        f.gflop += 3 * matmul / 1e9;
        return in.grad();
    }
}
