package dev.dinoj.benchmarks;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

import static dev.dinoj.benchmarks.CudaSync.REPS;

/** elementwise.cu: exact GELU over a ViT-S block's MLP hidden activations, [64 * 197, 1536]. */
public class CudaElementwiseBenchmark extends CudaBenchmark {
    private Tensor hidden;

    @Setup
    public void setup() {
        open();
        hidden = own(CudaSync.randn(d, new Generator(7), BATCH * TOKENS, MLP));
        CudaSync.synchronize(d);
    }

    @Benchmark
    public void gelu(Bytes b) {
        CudaSync.repeat(d, () -> hidden.gelu());
        b.gbyte += REPS * gb(2.0 * hidden.numel());
    }
}
