package dev.dinoj.cuda;

import static dev.dinoj.cuda.Gpu.assertClose;
import static dev.dinoj.cuda.Gpu.randn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The custom kernels against compositions of CPU ops that compute the same functions. */
@Tag("gpu")
class CudaKernelsTest {
    @ParameterizedTest
    @CsvSource({"17,32", "65,64", "197,64", "785,32", "37,128", "1,64"})
    void fusedAttentionForwardAndBackwardMatchTheUnfusedComposition(int n, int dim) {
        Device d = Gpu.device();
        CudaKernels k = CudaKernels.of(d);
        int bh = 3;
        float scale = (float) (1 / Math.sqrt(dim));
        Tensor q = randn(1, bh, n, dim), kk = randn(2, bh, n, dim), v = randn(3, bh, n, dim), go = randn(4, bh, n, dim);
        // CPU reference: P = softmax(q k^T * scale), O = P v, and the gradients of sum(O * go)
        Tensor p = q.matmul(kk.transpose(1, 2)).mul(scale).softmax();
        Tensor o = p.matmul(v);
        Tensor dv = p.transpose(1, 2).matmul(go);
        Tensor dp = go.matmul(v.transpose(1, 2));
        Tensor ds = p.mul(dp.sub(dp.mul(p).sum(-1, true)));
        Tensor dq = ds.matmul(kk).mul(scale), dk = ds.transpose(1, 2).matmul(q).mul(scale);
        try (CudaKernels.Attention a = k.attention(q.to(d), kk.to(d), v.to(d), scale, true)) {
            assertClose(a.output(), o, 2e-5);
            assertClose(a.probabilities(), p, 2e-5);
            try (CudaKernels.AttentionGrads g = k.attentionBackward(q.to(d), kk.to(d), v.to(d), a.output(), a.logSumExp(), go.to(d), scale)) {
                assertClose(g.dq(), dq, 1e-4);
                assertClose(g.dk(), dk, 1e-4);
                assertClose(g.dv(), dv, 1e-4);
            }
        }
    }

    /** batch x heads above gridDim.y's 65535 (DINO's 1024 images x 8 local crops x 12 heads is 98304). */
    @Test
    void fusedAttentionHandlesMoreThan65535BatchTimesHeads() {
        Device d = Gpu.device();
        CudaKernels k = CudaKernels.of(d);
        int bh = 65537, n = 3, dim = 32;
        float scale = (float) (1 / Math.sqrt(dim));
        Tensor q = randn(11, bh, n, dim), kk = randn(12, bh, n, dim), v = randn(13, bh, n, dim), go = randn(14, bh, n, dim);
        Tensor p = q.matmul(kk.transpose(1, 2)).mul(scale).softmax();
        Tensor o = p.matmul(v);
        Tensor dp = go.matmul(v.transpose(1, 2));
        Tensor ds = p.mul(dp.sub(dp.mul(p).sum(-1, true)));
        try (CudaKernels.Attention a = k.attention(q.to(d), kk.to(d), v.to(d), scale, true)) {
            assertClose(a.output(), o, 2e-5);
            assertClose(a.probabilities(), p, 2e-5);
            try (CudaKernels.AttentionGrads g = k.attentionBackward(q.to(d), kk.to(d), v.to(d), a.output(), a.logSumExp(), go.to(d), scale)) {
                assertClose(g.dq(), ds.matmul(kk).mul(scale), 1e-4);
                assertClose(g.dk(), ds.transpose(1, 2).matmul(q).mul(scale), 1e-4);
                assertClose(g.dv(), p.transpose(1, 2).matmul(go), 1e-4);
            }
        }
    }

    @Test
    void attentionRejectsUnsupportedHeadDimsAndMismatchedShapes() {
        Device d = Gpu.device();
        CudaKernels k = CudaKernels.of(d);
        Tensor q = randn(1, 2, 5, 48).to(d);
        assertThatThrownBy(() -> k.attention(q, q, q, 1f, false)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("head dim 48");
        Tensor a = randn(1, 2, 5, 32).to(d), b = randn(1, 2, 6, 32).to(d);
        assertThatThrownBy(() -> k.attention(a, b, b, 1f, false)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same shape");
        assertThatThrownBy(() -> k.attention(randn(1, 2, 5, 32), a, a, 1f, false)).hasMessageContaining("cpu");
    }

    @ParameterizedTest
    @CsvSource({"4,3,97", "8,5,4096", "10,2,65536"})
    void fusedDinoLossAndGradientMatchTheReferenceDoubleLoop(int crops, int b, int kDim) {
        Device d = Gpu.device();
        CudaKernels k = CudaKernels.of(d);
        Tensor s = randn(5, crops * b, kDim), t = randn(6, 2 * b, kDim), c = randn(7, kDim).mul(0.1f);
        float ts = 0.1f, tt = 0.04f;
        // reference: loop over (teacher view a, student view v != a) pairs
        Tensor q = t.sub(c).softmax(tt);
        Tensor logp = s.logSoftmax(ts);
        double loss = 0;
        int pairs = 0;
        Tensor grad = Tensor.zeros(crops * b, kDim);
        for (int a = 0; a < 2; a++) {
            Tensor qa = q.narrow(0, a * b, b);
            for (int v = 0; v < crops; v++) {
                if (v == a) continue;
                Tensor lv = logp.narrow(0, v * b, b);
                loss += -qa.mul(lv).sum(-1, false).mean().item();
                pairs++;
                grad.narrow(0, v * b, b).addInPlace(lv.exp().sub(qa).div(ts * b));
            }
        }
        loss /= pairs;
        grad = grad.div(pairs);
        try (CudaKernels.DinoLossResult r = k.dinoLoss(s.to(d), t.to(d), c.to(d), crops, ts, tt)) {
            assertThat((double) r.loss().item()).isCloseTo(loss, org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(loss))));
            assertClose(r.gradStudent(), grad, 1e-5);
        }
        Tensor center = c.to(d);
        k.updateCenter(t.to(d), center, 0.9f);
        assertClose(center, c.mul(0.9f).add(t.mean(0, false).mul(0.1f)), 1e-6);
    }

    @Test
    void multiTensorEmaAdamwAndNormsMatchPerTensorOps() {
        Device d = Gpu.device();
        CudaKernels k = CudaKernels.of(d);
        int[][] shapes = {{7}, {4097}, {33, 65}, {1}, {3, 3, 3, 3}};
        List<Tensor> teacherCpu = new ArrayList<>(), studentCpu = new ArrayList<>(), teacher = new ArrayList<>(), student = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            teacherCpu.add(randn(10 + i, shapes[i]));
            studentCpu.add(randn(20 + i, shapes[i]));
            teacher.add(teacherCpu.get(i).to(d));
            student.add(studentCpu.get(i).to(d));
        }
        try (MultiTensorTable tt = k.table(teacher); MultiTensorTable st = k.table(student)) {
            k.ema(tt, st, 0.996f);
            for (int i = 0; i < shapes.length; i++) assertClose(teacher.get(i), teacherCpu.get(i).copy().lerpInPlace(studentCpu.get(i), 0.004f), 1e-6);
            try (Tensor norms = k.norms(st)) {
                for (int i = 0; i < shapes.length; i++) assertThat(norms.get(i)).isCloseTo(studentCpu.get(i).norm().item(), org.assertj.core.data.Offset.offset(1e-4f));
            }
            k.clipPerTensor(st, 3f).close();
            for (int i = 0; i < shapes.length; i++) {
                float n = studentCpu.get(i).norm().item();
                float coef = 3f / (n + 1e-6f);
                assertClose(student.get(i), coef < 1 ? studentCpu.get(i).mul(coef) : studentCpu.get(i), 1e-5);
            }
        }
        List<Tensor> p = new ArrayList<>(), g = new ArrayList<>(), m = new ArrayList<>(), v = new ArrayList<>();
        List<Tensor> pc = new ArrayList<>(), gc = new ArrayList<>(), mc = new ArrayList<>(), vc = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            pc.add(randn(30 + i, shapes[i]));
            gc.add(randn(40 + i, shapes[i]));
            mc.add(randn(50 + i, shapes[i]).mul(0.1f));
            vc.add(randn(60 + i, shapes[i]).abs());
            p.add(pc.get(i).to(d));
            g.add(gc.get(i).to(d));
            m.add(mc.get(i).to(d));
            v.add(vc.get(i).to(d));
        }
        try (MultiTensorTable tp = k.table(p); MultiTensorTable tg = k.table(g); MultiTensorTable tm = k.table(m); MultiTensorTable tv = k.table(v)) {
            k.adamw(tp, tg, tm, tv, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.04f, 3);
        }
        for (int i = 0; i < shapes.length; i++) {
            pc.get(i).adamwInPlace(gc.get(i), mc.get(i), vc.get(i), 1e-3f, 0.9f, 0.999f, 1e-8f, 0.04f, 3);
            assertClose(p.get(i), pc.get(i), 1e-6);
            assertClose(m.get(i), mc.get(i), 1e-6);
            assertClose(v.get(i), vc.get(i), 1e-6);
        }
    }
}
