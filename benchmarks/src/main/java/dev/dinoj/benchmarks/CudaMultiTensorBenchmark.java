package dev.dinoj.benchmarks;

import dev.dinoj.autograd.Variable;
import dev.dinoj.cuda.MultiTensorTable;
import dev.dinoj.dino.DinoHead;
import dev.dinoj.dino.DinoModel;
import dev.dinoj.dino.VisionTransformer;
import dev.dinoj.dino.VitConfig;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

import java.util.ArrayList;
import java.util.List;

import static dev.dinoj.benchmarks.CudaSync.REPS;

/**
 * multi_tensor.cu: one launch over every parameter of a ViT-S/16 student with its 65536-wide DINO
 * head (~43M floats) for the teacher's EMA, fused AdamW and the per-parameter gradient norms.
 */
public class CudaMultiTensorBenchmark extends CudaBenchmark {
    private MultiTensorTable teacherParams, studentParams, grads, expAvg, expAvgSq;
    private long paramCount;

    @Setup
    public void setup() {
        open();
        Generator g = new Generator(7);
        VitConfig vit = VitConfig.preset("vit_small", 16, 224);
        DinoModel model = new DinoModel(new VisionTransformer(vit, g), new DinoHead(vit.embedDim, OUT_DIM, 2048, 256, true, g));
        model.to(d);
        List<Tensor> t = new ArrayList<>(), s = new ArrayList<>(), gr = new ArrayList<>(), m = new ArrayList<>(), v = new ArrayList<>();
        for (Variable p : model.parameters()) {
            Tensor data = p.data();
            paramCount += data.numel();
            t.add(own(TensorScope.escape(data.copy())));
            s.add(data);
            gr.add(own(TensorScope.escape(data.mul(1e-3f))));
            m.add(own(TensorScope.escape(Tensor.zeros(data.shape(), d))));
            v.add(own(TensorScope.escape(Tensor.zeros(data.shape(), d))));
        }
        teacherParams = table(t);
        studentParams = table(s);
        grads = table(gr);
        expAvg = table(m);
        expAvgSq = table(v);
        CudaSync.synchronize(d);
    }

    /** teacher = m teacher + (1 - m) student. */
    @Benchmark
    public void emaTeacherUpdate(Bytes b) {
        CudaSync.repeat(d, () -> k.ema(teacherParams, studentParams, 0.996f));
        b.gbyte += REPS * gb(3.0 * paramCount);
    }

    /** Reads p, g, m, v; writes p, m, v. */
    @Benchmark
    public void adamw(Bytes b) {
        CudaSync.repeat(d, () -> k.adamw(teacherParams, grads, expAvg, expAvgSq, 1e-4f, 0.9f, 0.999f, 1e-8f, 0.04f, 10));
        b.gbyte += REPS * gb(7.0 * paramCount);
    }

    /** Per-parameter gradient norms (for clipping). */
    @Benchmark
    public void gradientNorms(Bytes b) {
        CudaSync.repeat(d, () -> k.norms(grads).close());
        b.gbyte += REPS * gb(paramCount);
    }
}
