package dev.dinoj.benchmarks;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

import static dev.dinoj.benchmarks.CudaSync.REPS;

/** dino_loss.cu: the fused DINO cross-entropy and the teacher centre's EMA, 12 crops of 64 images, out_dim 65536. */
public class CudaDinoLossBenchmark extends CudaBenchmark {
    private Tensor student, teacher, center;

    @Setup
    public void setup() {
        open();
        Generator g = new Generator(7);
        student = own(CudaSync.randn(d, g, CROPS * BATCH, OUT_DIM));
        teacher = own(CudaSync.randn(d, g, 2 * BATCH, OUT_DIM));
        center = own(TensorScope.escape(Tensor.zeros(OUT_DIM).to(d)));
        CudaSync.synchronize(d);
    }

    /** Loss and gradient w.r.t. all student logits: reads student and teacher, writes the gradient. */
    @Benchmark
    public void dinoCrossEntropy(Bytes b) {
        CudaSync.repeat(d, () -> k.dinoLoss(student, teacher, center, CROPS, 0.1f, 0.04f).close());
        b.gbyte += REPS * gb(2.0 * student.numel() + teacher.numel());
    }

    @Benchmark
    public void centering(Bytes b) {
        CudaSync.repeat(d, () -> k.updateCenter(teacher, center, 0.9f));
        b.gbyte += REPS * gb(teacher.numel() + 2.0 * OUT_DIM);
    }
}
