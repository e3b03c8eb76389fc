package dev.dinoj.benchmarks;

import dev.dinoj.autograd.Variable;
import dev.dinoj.cuda.CudaKernels;
import dev.dinoj.cuda.MultiTensorTable;
import dev.dinoj.dino.DinoHead;
import dev.dinoj.dino.DinoModel;
import dev.dinoj.dino.VisionTransformer;
import dev.dinoj.dino.VitConfig;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.dinoj.benchmarks.CudaSync.REPS;

/**
 * The custom CUDA kernels at ViT-S/16 DINO shapes (batch 64, 2 global + 10 local crops, 197 tokens of
 * width 384, head out_dim 65536), each with the bytes (GB/s, {@code :gbyte}) or flops (GFLOP/s,
 * {@code :gflop}) it must move or do. {@code copy} is the device-to-device copy bandwidth the
 * memory-bound kernels are judged against. Needs a GPU (setup fails with the reason otherwise).
 * Command: {@code java -jar benchmarks/target/benchmarks.jar CudaKernelsBenchmark}; TF32 GEMM with
 * {@code -jvmArgsAppend -Ddinoj.cuda.tf32=true}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx16g"})
@OperationsPerInvocation(REPS)
public class CudaKernelsBenchmark {
    static final int BATCH = 64, CROPS = 12, OUT_DIM = 65536, WIDTH = 384, TOKENS = 197, MLP = 4 * WIDTH;

    private Device d;
    private CudaKernels k;
    private final List<Tensor> owned = new ArrayList<>();
    private final List<MultiTensorTable> tables = new ArrayList<>();
    private Tensor copySrc, student, teacher, center, x, lnW, lnB, hidden, gemmA, gemmB;
    private MultiTensorTable teacherParams, studentParams, grads, expAvg, expAvgSq;
    private long paramCount;

    @Setup
    public void setup() {
        d = CudaSync.device();
        k = CudaSync.kernels(d);
        Generator g = new Generator(7);
        copySrc = own(CudaSync.randn(d, g, 64 << 20));
        student = own(CudaSync.randn(d, g, CROPS * BATCH, OUT_DIM));
        teacher = own(CudaSync.randn(d, g, 2 * BATCH, OUT_DIM));
        center = own(TensorScope.escape(Tensor.zeros(OUT_DIM).to(d)));
        x = own(CudaSync.randn(d, g, BATCH * TOKENS, WIDTH));
        lnW = own(CudaSync.randn(d, g, WIDTH));
        lnB = own(CudaSync.randn(d, g, WIDTH));
        hidden = own(CudaSync.randn(d, g, BATCH * TOKENS, MLP));
        gemmA = own(CudaSync.randn(d, g, BATCH * TOKENS, WIDTH));
        gemmB = own(CudaSync.randn(d, g, WIDTH, 3 * WIDTH));

        // the parameter set of a ViT-S/16 student with its 65536-wide DINO head (~43M floats)
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

    private Tensor own(Tensor t) {
        owned.add(t);
        return t;
    }

    private MultiTensorTable table(List<Tensor> list) {
        MultiTensorTable tb = k.table(list);
        tables.add(tb);
        return tb;
    }

    @TearDown
    public void tearDown() {
        tables.forEach(MultiTensorTable::close);
        owned.forEach(Tensor::close);
    }

    private static double gb(double floats) {
        return 4 * floats / 1e9;
    }

    @Benchmark
    public void copy(Bytes b) {
        CudaSync.repeat(d, () -> copySrc.copy());
        b.gbyte += REPS * gb(2.0 * copySrc.numel());
    }

    /** Teacher softmax at temperature 0.04 over 65536-wide rows. */
    @Benchmark
    public void softmax(Bytes b) {
        CudaSync.repeat(d, () -> teacher.softmax(0.04f));
        b.gbyte += REPS * gb(2.0 * teacher.numel());
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

    /** teacher = m teacher + (1 - m) student over all ~43M parameters in one launch. */
    @Benchmark
    public void emaTeacherUpdate(Bytes b) {
        CudaSync.repeat(d, () -> k.ema(teacherParams, studentParams, 0.996f));
        b.gbyte += REPS * gb(3.0 * paramCount);
    }

    /** Fused AdamW over all parameters: reads p, g, m, v; writes p, m, v. */
    @Benchmark
    public void adamw(Bytes b) {
        CudaSync.repeat(d, () -> k.adamw(teacherParams, grads, expAvg, expAvgSq, 1e-4f, 0.9f, 0.999f, 1e-8f, 0.04f, 10));
        b.gbyte += REPS * gb(7.0 * paramCount);
    }

    /** Per-parameter gradient norms (for clipping) over all parameters. */
    @Benchmark
    public void gradientNorms(Bytes b) {
        CudaSync.repeat(d, () -> k.norms(grads).close());
        b.gbyte += REPS * gb(paramCount);
    }

    @Benchmark
    public void layerNorm(Bytes b) {
        CudaSync.repeat(d, () -> x.layerNorm(lnW, lnB, 1e-6f));
        b.gbyte += REPS * gb(2.0 * x.numel());
    }

    @Benchmark
    public void gelu(Bytes b) {
        CudaSync.repeat(d, () -> hidden.gelu());
        b.gbyte += REPS * gb(2.0 * hidden.numel());
    }

    /** The qkv projection of a ViT-S block, [64 * 197, 384] x [384, 1152], through cuBLAS. */
    @Benchmark
    public void gemmQkv(Flops f) {
        CudaSync.repeat(d, () -> gemmA.matmul(gemmB));
        f.gflop += REPS * 2.0 * BATCH * TOKENS * WIDTH * 3 * WIDTH / 1e9;
    }
}
