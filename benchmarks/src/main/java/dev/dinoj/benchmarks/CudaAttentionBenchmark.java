package dev.dinoj.benchmarks;

import dev.dinoj.cuda.CudaKernels;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

import static dev.dinoj.benchmarks.CudaSync.REPS;

/**
 * Multi-head attention forward + backward at ViT-S shapes (6 heads of 64; 197 tokens = 224-px global
 * crops, 37 = 96-px local crops): the fused FlashAttention-style kernels against the unfused
 * composition (cuBLAS strided-batched QK^T, row softmax, PV, and their backward through the saved
 * probabilities). {@code :gflop} counts the non-recomputed work, 4 BH N^2 D forward and 8 BH N^2 D
 * backward, the same for both so that the rates compare directly. Needs a GPU.
 */
public class CudaAttentionBenchmark extends CudaBenchmark {
    static final int HEADS = 6, HEAD_DIM = 64;

    @Param({"64"})
    public int batch;

    @Param({"197", "37"})
    public int tokens;

    private Tensor q, kk, v, gradOut;
    private float scale;
    private double gflop;

    @Setup
    public void setup() {
        open();
        Generator g = new Generator(11);
        int bh = batch * HEADS;
        q = own(CudaSync.randn(d, g, bh, tokens, HEAD_DIM));
        kk = own(CudaSync.randn(d, g, bh, tokens, HEAD_DIM));
        v = own(CudaSync.randn(d, g, bh, tokens, HEAD_DIM));
        gradOut = own(CudaSync.randn(d, g, bh, tokens, HEAD_DIM));
        scale = (float) (1 / Math.sqrt(HEAD_DIM));
        gflop = 12.0 * bh * tokens * tokens * HEAD_DIM / 1e9;
        CudaSync.synchronize(d);
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
