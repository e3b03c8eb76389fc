package dev.dinoj.benchmarks;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

import static dev.dinoj.benchmarks.CudaSync.REPS;

/**
 * cuBLAS GEMM at the qkv projection of a ViT-S block, [64 * 197, 384] x [384, 1152]. TF32 with
 * {@code -jvmArgsAppend -Ddinoj.cuda.tf32=true}.
 */
public class CudaGemmBenchmark extends CudaBenchmark {
    private Tensor a, w;

    @Setup
    public void setup() {
        open();
        Generator g = new Generator(7);
        a = own(CudaSync.randn(d, g, BATCH * TOKENS, WIDTH));
        w = own(CudaSync.randn(d, g, WIDTH, 3 * WIDTH));
        CudaSync.synchronize(d);
    }

    @Benchmark
    public void gemmQkv(Flops f) {
        CudaSync.repeat(d, () -> a.matmul(w));
        f.gflop += REPS * 2.0 * BATCH * TOKENS * WIDTH * 3 * WIDTH / 1e9;
    }
}
