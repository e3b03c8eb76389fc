package dev.dinoj.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dinoj.tensor.Attention;
import dev.dinoj.tensor.BatchNormResult;
import dev.dinoj.tensor.BinaryOp;
import dev.dinoj.tensor.DType;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.LayerNormResult;
import dev.dinoj.tensor.MultiTensorOps;
import dev.dinoj.tensor.RandomDistribution;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.UnaryOp;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The conformance suite over the kernel registry: one case per op family runs the same computation
 * on the CPU (the reference) and on the GPU, at odd sizes and on strided views, and compares every
 * output. Under {@code -Ddinoj.cuda.poison=true} (the emulated run sets it) every new device buffer
 * starts as NaN, so an element a kernel forgets to write fails. The last test checks that the cases
 * launched every kernel {@link KernelCatalog} declares, so a kernel added to native/ without a case
 * here fails the build.
 */
@Tag("gpu")
class KernelConformanceTest {
    /** The same computation on the CPU and on the GPU, or (for device-only entry points) a CPU formula and the kernel's entry. */
    private record Case(String name, double tolerance, Function<Device, List<Tensor>> reference, Function<Device, List<Tensor>> device) {}

    private static Case same(String name, double tolerance, Function<Device, List<Tensor>> computation) {
        return new Case(name, tolerance, computation, computation);
    }

    /** A standard-normal tensor made on the CPU from the seed and moved to d, so both devices see the same values. */
    private static Tensor in(Device d, long seed, int... dims) {
        return Tensor.randn(new Generator(seed), dims).to(d);
    }

    private static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        cases.add(same("unary ops on a transposed view (ew_unary)", 2e-5, d -> {
            Tensor x = in(d, 1, 37, 29).mul(2f).t();
            List<Tensor> out = new ArrayList<>();
            for (UnaryOp op : UnaryOp.values()) {
                float a = op == UnaryOp.CLAMP ? -0.5f : 1.5f, b = op == UnaryOp.CLAMP ? 0.7f : -0.25f;
                boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT || op == UnaryOp.POW;
                out.add((positive ? x.abs().add(0.1f) : x).apply(op, a, b));
            }
            return out;
        }));
        cases.add(same("binary ops with broadcasting, alpha x + beta y, lerp (ew_binary, ew_linear_combination)", 1e-5, d -> {
            Tensor x = in(d, 2, 3, 4, 1, 33), y = in(d, 3, 4, 5, 33).abs().add(0.5f);
            List<Tensor> out = new ArrayList<>();
            for (BinaryOp op : BinaryOp.values()) out.add((op == BinaryOp.POW ? x.abs() : x).apply(op, y));
            Tensor z = in(d, 4, 4, 5, 33);
            out.add(Tensor.linearCombination(0.3f, z, -1.7f, y));
            out.add(z.copy().lerpInPlace(y, 0.004f));
            return out;
        }));
        cases.add(same("where, fills and strided copies (ew_where, ew_fill_f32, ew_fill_i32, ew_copy)", 0, d -> {
            Tensor x = in(d, 5, 7, 13), y = in(d, 6, 13);
            Tensor ints = Tensor.empty(Shape.of(1001), DType.INT32, d).fill(7f);
            return List.of(Tensor.where(x.gt(0f), x, y), Tensor.full(Shape.of(3, 1001), 2.5f, d), ints,
                    x.t().contiguous(), in(d, 7, 5, 6, 7).permute(2, 0, 1).contiguous());
        }));
        cases.add(same("reductions over any dims of a strided view (reduce_f32)", 1e-5, d -> {
            Tensor x = in(d, 8, 5, 6, 19, 23).transpose(1, 2);
            List<Tensor> out = new ArrayList<>();
            for (int[] dims : new int[][] {{1}, {0, 2}, {3}, {1, 3}, {0, 1, 2, 3}}) {
                out.add(x.sum(dims, true));
                out.add(x.mean(dims, false));
                out.add(x.var(dims, false, 1));
                out.add(x.norm(dims, true));
            }
            out.add(x.max(2, true));
            out.add(x.min(0, false));
            out.add(x.argmax(1, false));
            return out;
        }));
        cases.add(same("matmul, batched, broadcast and transposed (cuBLAS)", 1e-4, d -> {
            Tensor a = in(d, 9, 3, 37, 41), b = in(d, 10, 2, 3, 41, 29), w = in(d, 11, 29, 41);
            return List.of(a.matmul(b), a.matmul(w.t()), b.transpose(-1, -2).matmul(a.transpose(-1, -2)));
        }));
        cases.add(same("softmax and log-softmax with temperature, forward and backward (softmax_fwd, softmax_bwd)", 1e-4, d -> {
            List<Tensor> out = new ArrayList<>();
            for (int cols : new int[] {17, 197, 4099}) {
                Tensor x = in(d, cols, 3, cols).mul(3f), g = in(d, cols + 1, 3, cols);
                Tensor p = x.softmax(0.07f), lp = x.logSoftmax(0.1f);
                out.addAll(List.of(p, lp, p.softmaxBackward(g, 0.07f, false), lp.softmaxBackward(g, 0.1f, true)));
            }
            out.add(in(d, 12, 9, 5).t().softmax(0.5f)); // a strided input
            return out;
        }));
        cases.add(same("LayerNorm forward and backward (layernorm_fwd, layernorm_bwd_dx, layernorm_bwd_dwdb)", 1e-4, d -> {
            List<Tensor> out = new ArrayList<>();
            for (int c : new int[] {33, 384}) {
                Tensor x = in(d, c, 3, 41, c).mul(2f).add(1f), w = in(d, c + 1, c), b = in(d, c + 2, c), gy = in(d, c + 3, 3, 41, c);
                LayerNormResult r = x.layerNormWithStats(w, b, 1e-6f);
                out.addAll(List.of(r.output(), r.mean(), r.rstd()));
                out.addAll(Arrays.asList(x.layerNormBackward(w, r, gy, true, true)));
                out.add(x.layerNormBackward(null, x.layerNormWithStats(null, null, 1e-6f), gy, false, false)[0]);
            }
            return out;
        }));
        cases.add(same("attention for each head dim: forward, backward, probabilities (attn_*)", 1e-4, d -> {
            List<Tensor> out = new ArrayList<>();
            Attention attention = d.backend().attention();
            for (int hd : new int[] {32, 64, 128}) {
                Tensor q = in(d, hd, 2, 3, 37, hd), k = in(d, hd + 1, 2, 3, 37, hd), v = in(d, hd + 2, 2, 3, 37, hd);
                Attention.Args args = new Attention.Args(q, k, v, (float) (1 / Math.sqrt(hd)));
                Attention.Forward f = attention.forward(args);
                Attention.Grads g = attention.backward(args, f, in(d, hd + 3, 2, 3, 37, hd));
                out.addAll(List.of(f.output(), g.dq(), g.dk(), g.dv(), attention.probabilities(args, f)));
            }
            return out;
        }));
        cases.add(same("multi-tensor EMA, per-tensor clipping and AdamW, single-tensor AdamW (mt_*, adamw_single)", 1e-5, d -> {
            int[][] shapes = {{7}, {4097}, {33, 65}, {1}, {3, 3, 3, 3}};
            List<Tensor> teacher = new ArrayList<>(), student = new ArrayList<>(), grads = new ArrayList<>(), m = new ArrayList<>(), v = new ArrayList<>();
            for (int i = 0; i < shapes.length; i++) {
                teacher.add(in(d, 20 + i, shapes[i]));
                student.add(in(d, 30 + i, shapes[i]));
                grads.add(in(d, 40 + i, shapes[i]).mul(i + 0.5f));
                m.add(in(d, 50 + i, shapes[i]).mul(0.1f));
                v.add(in(d, 60 + i, shapes[i]).abs().mul(0.01f));
            }
            MultiTensorOps ops = d.backend().multiTensor();
            ops.ema(teacher, student, 0.996);
            float[] norms = ops.clipPerTensor(grads, 3f);
            ops.adamw(student, grads, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.04f, 3);
            Tensor p = in(d, 70, 1001), g = in(d, 71, 1001), pm = in(d, 72, 1001).mul(0.1f), pv = in(d, 73, 1001).abs().mul(0.01f);
            p.adamwInPlace(g, pm, pv, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.04f, 7);
            List<Tensor> out = new ArrayList<>(teacher);
            out.addAll(grads);
            out.addAll(student);
            out.addAll(m);
            out.addAll(v);
            out.addAll(List.of(Tensor.fromArray(norms, norms.length), p, pm, pv));
            return out;
        }));
        cases.add(new Case("multi-tensor scaling by a device scalar (mt_scale)", 1e-6,
                d -> List.of(in(d, 80, 4097).mul(0.37f), in(d, 81, 5, 7).mul(0.37f)),
                d -> {
                    List<Tensor> t = List.of(in(d, 80, 4097), in(d, 81, 5, 7));
                    try (MultiTensorTable table = CudaKernels.of(d).table(t)) {
                        CudaKernels.of(d).scale(table, Tensor.fromArray(new float[] {0.37f}, 1).to(d));
                    }
                    return t;
                }));
        cases.add(same("counter-based random numbers (random_philox)", 1e-6, d -> List.of(
                Tensor.random(RandomDistribution.NORMAL, 0.5f, 2f, Shape.of(1001), new Generator(1), d),
                Tensor.random(RandomDistribution.UNIFORM, -1f, 3f, Shape.of(3, 333), new Generator(77), d),
                Tensor.random(RandomDistribution.BERNOULLI, 0.3f, 0f, Shape.of(257), new Generator(5), d))));
        cases.add(same("bicubic resize, up and down (resize_bicubic)", 1e-5, d -> {
            Tensor img = in(d, 90, 2, 3, 14, 14);
            return List.of(img.resizeBicubic(20, 20, false, 20 / 14.0, 20 / 14.0), img.resizeBicubic(9, 11));
        }));
        cases.add(same("index select, gather, scatter-add, index-add (index_select, gather_scatter)", 1e-6, d -> {
            Tensor x = in(d, 91, 6, 5);
            Tensor idx = Tensor.fromIndices(new int[] {4, 0, 0, 2}, 4).to(d);
            Tensor gi = Tensor.fromIndices(new int[] {0, 5, 1, 1, 2, 3, 5, 0, 4, 4}, 2, 5).to(d);
            Tensor acc = Tensor.zeros(Shape.of(6, 5), d).scatterAddInPlace(0, gi, in(d, 92, 2, 5));
            Tensor added = Tensor.zeros(Shape.of(2, 6, 3), d).indexAddInPlace(1, idx, in(d, 93, 2, 4, 3));
            return List.of(x.indexSelect(1, idx), x.t().indexSelect(0, idx), x.gather(0, gi), acc, added);
        }));
        cases.add(same("batch norm (and ReLU) with its backward (composed on CUDA, one kernel on the CPU)", 1e-5, d -> {
            Tensor x = in(d, 94, 300, 6), w = in(d, 95, 6), b = in(d, 96, 6), g = in(d, 97, 300, 6);
            BatchNormResult r = x.batchNormWithStats(w, b, 1e-5f), rr = x.batchNormWithStats(w, b, 1e-5f, true);
            Tensor[] grads = x.batchNormBackward(w, b, r, false, g, true, true), reluGrads = x.batchNormBackward(w, b, rr, true, g, true, true);
            return List.of(r.output(), r.mean(), r.var(), r.rstd(), grads[0], grads[1], grads[2], rr.output(), reluGrads[0], reluGrads[1],
                    reluGrads[2]);
        }));
        cases.add(new Case("DINO loss with its gradient, and the centre's EMA (dino_*)", 1e-5,
                KernelConformanceTest::dinoLossReference, KernelConformanceTest::dinoLossKernels));
        return cases;
    }

    private static final int CROPS = 5, B = 3, K = 4099;
    private static final float STUDENT_TEMP = 0.1f, TEACHER_TEMP = 0.04f;

    /** The DINO loss's formula in primitives: mean over (teacher view a, student view v != a) of CE(softmax((t_a - c) / tt), softmax(s_v / ts)). */
    private static List<Tensor> dinoLossReference(Device d) {
        Tensor s = in(d, 93, CROPS * B, K), t = in(d, 94, 2 * B, K), c = in(d, 95, K).mul(0.1f);
        Tensor q = t.sub(c).softmax(TEACHER_TEMP), logp = s.logSoftmax(STUDENT_TEMP);
        Tensor loss = Tensor.zeros(1), grad = Tensor.zeros(CROPS * B, K);
        int pairs = 0;
        for (int a = 0; a < 2; a++) {
            for (int v = 0; v < CROPS; v++) {
                if (v == a) continue;
                Tensor qa = q.narrow(0, a * B, B), lv = logp.narrow(0, v * B, B);
                loss = loss.sub(qa.mul(lv).sum(-1, false).mean());
                grad.narrow(0, v * B, B).addInPlace(lv.exp().sub(qa).div(STUDENT_TEMP * B));
                pairs++;
            }
        }
        return List.of(loss.div(pairs).reshape(), grad.div(pairs), c.mul(0.9f).add(t.mean(0, false).mul(0.1f)));
    }

    private static List<Tensor> dinoLossKernels(Device d) {
        Tensor s = in(d, 93, CROPS * B, K), t = in(d, 94, 2 * B, K), c = in(d, 95, K).mul(0.1f);
        CudaKernels k = CudaKernels.of(d);
        CudaKernels.DinoLossResult r = k.dinoLoss(s, t, c, CROPS, STUDENT_TEMP, TEACHER_TEMP);
        k.updateCenter(t, c, 0.9f);
        return List.of(r.loss().reshape(), r.gradStudent(), c);
    }

    @TestFactory
    List<DynamicTest> everyKernelFamilyMatchesTheCpuReference() {
        Device gpu = Gpu.device();
        CudaContext context = ((CudaBackend) gpu.backend()).context();
        Set<String> launched = java.util.Collections.synchronizedSet(new TreeSet<>());
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases()) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                List<Tensor> want = c.reference().apply(Device.CPU), got;
                context.launchObserver = k -> launched.add(k.name); // the launches of this case's device computation only
                try {
                    got = c.device().apply(gpu);
                } finally {
                    context.launchObserver = null;
                }
                assertThat(got).as("outputs").hasSameSizeAs(want);
                for (int i = 0; i < want.size(); i++) assertSame(c.name() + ", output " + i, got.get(i), want.get(i), c.tolerance());
            }));
        }
        tests.add(DynamicTest.dynamicTest("the cases launched every kernel of KernelCatalog", () -> {
            Set<String> declared = KernelCatalog.all().stream().map(k -> k.name).collect(Collectors.toCollection(TreeSet::new));
            Set<String> missing = new TreeSet<>(declared);
            missing.removeAll(launched);
            assertThat(missing).as("kernels no conformance case runs").isEmpty();
        }));
        return tests;
    }

    private static void assertSame(String what, Tensor gpu, Tensor cpu, double tol) {
        assertThat(gpu.dtype()).as(what + " dtype").isEqualTo(cpu.dtype());
        if (cpu.dtype() == DType.INT32) {
            assertThat(gpu.shape()).as(what + " shape").isEqualTo(cpu.shape());
            assertThat(gpu.toIntArray()).as(what).containsExactly(cpu.toIntArray());
        } else {
            Gpu.assertClose(what, gpu, cpu, tol);
        }
    }
}
