package dev.dinoj.benchmarks;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

import static dev.dinoj.benchmarks.CudaSync.REPS;

/** layernorm.cu: LayerNorm of a ViT-S block's tokens, [64 * 197, 384]. */
public class CudaLayerNormBenchmark extends CudaBenchmark {
    private Tensor x, weight, bias;

    @Setup
    public void setup() {
        open();
        Generator g = new Generator(7);
        x = own(CudaSync.randn(d, g, BATCH * TOKENS, WIDTH));
        weight = own(CudaSync.randn(d, g, WIDTH));
        bias = own(CudaSync.randn(d, g, WIDTH));
        CudaSync.synchronize(d);
    }

    @Benchmark
    public void layerNorm(Bytes b) {
        CudaSync.repeat(d, () -> x.layerNorm(weight, bias, 1e-6f));
        b.gbyte += REPS * gb(2.0 * x.numel());
    }
}
