package dev.dinoj.benchmarks;

import dev.dinoj.cuda.CudaKernels;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

import static dev.dinoj.benchmarks.CudaSync.REPS;

/**
 * Multi-head attention forward + backward at ViT-S shapes (6 heads of 64; 197 tokens = 224-px global
 * crops, 37 = 96-px local crops): the fused FlashAttention-style kernels against the unfused
 * composition (cuBLAS strided-batched QK^T, row softmax, PV, and their backward through the saved
 * probabilities). {@code :gflop} counts the non-recomputed work, 4 BH N^2 D forward and 8 BH N^2 D
 * backward, the same for both so that the rates compare directly. Needs a GPU.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx8g"})
@OperationsPerInvocation(REPS)
public class CudaAttentionBenchmark {
    static final int HEADS = 6, HEAD_DIM = 64;

    @Param({"64"})
    public int batch;

    @Param({"197", "37"})
    public int tokens;

    private Device d;
    private CudaKernels k;
    private Tensor q, kk, v, gradOut;
    private float scale;
    private double gflop;

    @Setup
    public void setup() {
        d = CudaSync.device();
        k = CudaSync.kernels(d);
        Generator g = new Generator(11);
        int bh = batch * HEADS;
        q = CudaSync.randn(d, g, bh, tokens, HEAD_DIM);
        kk = CudaSync.randn(d, g, bh, tokens, HEAD_DIM);
        v = CudaSync.randn(d, g, bh, tokens, HEAD_DIM);
        gradOut = CudaSync.randn(d, g, bh, tokens, HEAD_DIM);
        scale = (float) (1 / Math.sqrt(HEAD_DIM));
        gflop = 12.0 * bh * tokens * tokens * HEAD_DIM / 1e9;
        CudaSync.synchronize(d);
    }

    @TearDown
    public void tearDown() {
        q.close();
        kk.close();
        v.close();
        gradOut.close();
    }

    @Benchmark
    public void fusedForwardBackward(Flops f) {
        CudaSync.repeat(d, () -> {
            CudaKernels.Attention a = k.attention(q, kk, v, scale, false);
            k.attentionBackward(q, kk, v, a.output(), a.logSumExp(), gradOut, scale);
        });
        f.gflop += REPS * gflop;
    }

    @Benchmark
    public void unfusedForwardBackward(Flops f) {
        CudaSync.repeat(d, () -> {
            Tensor p = q.matmul(kk.transpose(1, 2)).softmax(1f / scale); // softmax(s / T) with T = 1/scale
            p.matmul(v); // the output
            p.transpose(1, 2).matmul(gradOut); // dV
            Tensor gradS = p.softmaxBackward(gradOut.matmul(v.transpose(1, 2)), 1f / scale, false);
            gradS.matmul(kk); // dQ (the scale is folded into softmaxBackward's temperature)
            gradS.transpose(1, 2).matmul(q); // dK
        });
        f.gflop += REPS * gflop;
    }
}
