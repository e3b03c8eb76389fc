package dev.dinoj.cuda;

import static dev.dinoj.cuda.Gpu.assertClose;
import static dev.dinoj.cuda.Gpu.randn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dinoj.tensor.BinaryOp;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.LayerNormResult;
import dev.dinoj.tensor.ReduceOp;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.UnaryOp;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Every tensor-core op on the GPU against the CPU backend, on odd sizes and strided views. */
@Tag("gpu")
class CudaBackendTest {
    @Test
    void transfersRoundTripIncludingStridedViews() {
        Device d = Gpu.device();
        Tensor x = randn(1, 5, 7);
        Tensor g = x.to(d);
        assertClose(g, x, 0);
        assertClose(g.t(), x.t(), 0);
        assertClose(g.narrow(1, 2, 3), x.narrow(1, 2, 3), 0);
        int[] idx = {3, -1, 7};
        assertThat(Tensor.fromIndices(idx, 3).to(d).toIntArray()).containsExactly(idx);
    }

    @Test
    void unaryOpsMatchTheCpu() {
        Device d = Gpu.device();
        Tensor x = randn(2, 37, 29).mul(2f);
        for (UnaryOp op : UnaryOp.values()) {
            float a = op == UnaryOp.CLAMP ? -0.5f : 1.5f, b = op == UnaryOp.CLAMP ? 0.7f : -0.25f;
            Tensor in = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT || op == UnaryOp.POW ? x.abs().add(0.1f) : x;
            assertClose(in.to(d).apply(op, a, b), in.apply(op, a, b), 2e-5);
            assertClose(in.to(d).t().apply(op, a, b), in.t().apply(op, a, b), 2e-5);
        }
    }

    @Test
    void binaryOpsBroadcastLikeTheCpu() {
        Device d = Gpu.device();
        Tensor x = randn(3, 4, 1, 33), y = randn(4, 5, 33).abs().add(0.5f);
        for (BinaryOp op : BinaryOp.values()) {
            Tensor xin = op == BinaryOp.POW ? x.abs() : x;
            Tensor expected = xin.apply(op, y);
            Tensor out = Gpu.poisoned(expected);
            out.copyFrom(xin.to(d).apply(op, y.to(d)));
            assertClose(out, expected, 1e-5);
        }
        Tensor start = randn(4, 5, 33);
        assertClose(start.to(d).lerpInPlace(y.to(d), 0.3f), start.copy().lerpInPlace(y, 0.3f), 1e-6);
    }

    @Test
    void reductionsOverAnyDimsMatchTheCpu() {
        Device d = Gpu.device();
        Tensor x = randn(4, 5, 6, 19, 23); // seed 4, a rank-4 [5, 6, 19, 23]
        assertThat(x.rank()).isEqualTo(4);
        Tensor gx = x.to(d);
        for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.MEAN, ReduceOp.VAR, ReduceOp.NORM}) {
            for (int[] dims : new int[][] {{1}, {0, 2}, {2}, {3}, {1, 3}, {0, 1, 2}, {0, 1, 2, 3}}) {
                assertClose(reduce(op, gx, dims, true), reduce(op, x, dims, true), 1e-5);
                assertClose(reduce(op, gx.transpose(1, 2), dims, false), reduce(op, x.transpose(1, 2), dims, false), 1e-5);
            }
        }
        for (int dim = 0; dim < 4; dim++) {
            assertClose(gx.max(dim, true), x.max(dim, true), 0);
            assertClose(gx.transpose(0, 3).min(dim, false), x.transpose(0, 3).min(dim, false), 0);
        }
        assertClose(gx.sum(), x.sum(), 1e-5);
        assertThat(gx.argmax(1, false).toIntArray()).containsExactly(x.argmax(1, false).toIntArray());
        assertThat(gx.argmin(0, true).toIntArray()).containsExactly(x.argmin(0, true).toIntArray());
    }

    private static Tensor reduce(ReduceOp op, Tensor t, int[] dims, boolean keep) {
        switch (op) {
            case SUM: return t.sum(dims, keep);
            case MEAN: return t.mean(dims, keep);
            case VAR: return t.var(dims, keep, 1);
            case NORM: return t.norm(dims, keep);
            default: throw new AssertionError(op);
        }
    }

    @Test
    void matmulHandlesTransposedBroadcastAndBatchedOperands() {
        Device d = Gpu.device();
        Tensor a = randn(5, 3, 37, 41), b = randn(6, 3, 41, 29), w = randn(7, 29, 41);
        assertClose(a.to(d).matmul(b.to(d)), a.matmul(b), 1e-4);
        assertClose(a.to(d).matmul(w.to(d).t()), a.matmul(w.t()), 1e-4);
        assertClose(b.to(d).transpose(-1, -2).matmul(a.to(d).transpose(-1, -2)), b.transpose(-1, -2).matmul(a.transpose(-1, -2)), 1e-4);
        Tensor sel = a.select(1, 1);
        assertClose(sel.to(d).matmul(w.to(d).t()), sel.matmul(w.t()), 1e-4);
    }

    @Test
    void softmaxAndLayerNormRowsUpTo65536Wide() {
        Device d = Gpu.device();
        for (int cols : new int[] {17, 197, 65536}) {
            Tensor x = randn(cols, 3, cols).mul(3f);
            assertClose(x.to(d).softmax(0.07f), x.softmax(0.07f), 1e-5);
            assertClose(x.to(d).logSoftmax(0.1f), x.logSoftmax(0.1f), 1e-5);
            Tensor g = randn(cols + 1, 3, cols);
            Tensor y = x.softmax(0.1f);
            assertClose(y.to(d).softmaxBackward(g.to(d), 0.1f, false), y.softmaxBackward(g, 0.1f, false), 1e-5);
        }
        Tensor x = randn(5, 67, 384), w = randn(6, 384), b = randn(7, 384);
        assertClose(x.to(d).layerNorm(w.to(d), b.to(d), 1e-6f), x.layerNorm(w, b, 1e-6f), 1e-5);
    }

    @Test
    void newBuffersArePoisonedWhenAskedFor() {
        Device d = Gpu.device();
        org.junit.jupiter.api.Assumptions.assumeTrue(CudaBackend.POISON, "run with -Ddinoj.cuda.poison=true (the emulated test run is)");
        for (int n : new int[] {1, 1000, 70001}) {
            // written, released to the allocator's cache, then handed out again: the reused block is poisoned too
            Tensor.zeros(Shape.of(n), d).close();
            Tensor t = Tensor.empty(Shape.of(n), dev.dinoj.tensor.DType.FLOAT32, d);
            float[] v = t.toFloatArray();
            for (float x : v) assertThat(x).isNaN();
            t.close();
        }
    }

    @Test
    void logSoftmaxAndLayerNormBackwardMatchTheCpu() {
        Device d = Gpu.device();
        for (int cols : new int[] {17, 197, 4099}) {
            Tensor y = randn(cols, 5, cols).mul(2f).logSoftmax(0.1f), g = randn(cols + 1, 5, cols);
            assertClose(y.to(d).softmaxBackward(g.to(d), 0.1f, true), y.softmaxBackward(g, 0.1f, true), 1e-4);
        }
        // rows not a multiple of the 16 row lanes of the weight/bias kernel, C not a multiple of its 32 columns
        for (int c : new int[] {33, 384}) {
            Tensor x = randn(c, 3, 41, c).mul(2f).add(1f), w = randn(c + 1, c), b = randn(c + 2, c), gy = randn(c + 3, 3, 41, c);
            LayerNormResult cpu = x.layerNormWithStats(w, b, 1e-6f);
            LayerNormResult gpu = x.to(d).layerNormWithStats(w.to(d), b.to(d), 1e-6f);
            assertClose(gpu.mean(), cpu.mean(), 1e-5);
            assertClose(gpu.rstd(), cpu.rstd(), 1e-5);
            Tensor[] want = x.layerNormBackward(w, cpu, gy, true, true);
            Tensor[] got = x.to(d).layerNormBackward(w.to(d), gpu, gy.to(d), true, true);
            for (int i = 0; i < 3; i++) assertClose(got[i], want[i], 1e-4);
            Tensor[] noWeight = x.to(d).layerNormBackward(null, x.to(d).layerNormWithStats(null, null, 1e-6f), gy.to(d), false, false);
            assertClose(noWeight[0], x.layerNormBackward(null, x.layerNormWithStats(null, null, 1e-6f), gy, false, false)[0], 1e-4);
        }
    }

    @Test
    void resizeRandomAndIndexingMatchTheCpu() {
        Device d = Gpu.device();
        Tensor img = randn(8, 2, 3, 14, 14);
        assertClose(img.to(d).resizeBicubic(20, 20, false, 20 / 14.0, 20 / 14.0), img.resizeBicubic(20, 20, false, 20 / 14.0, 20 / 14.0), 1e-5);
        for (long seed : new long[] {1, 77}) {
            Tensor cpu = Tensor.randn(new Generator(seed), 1001);
            Tensor gpu = Tensor.random(dev.dinoj.tensor.RandomDistribution.NORMAL, 0, 1, Shape.of(1001), new Generator(seed), d);
            assertClose(gpu, cpu, 1e-6);
        }
        Tensor x = randn(9, 6, 5);
        Tensor idx = Tensor.fromIndices(new int[] {4, 0, 0, 2}, 4);
        assertClose(x.to(d).indexSelect(1, idx.to(d)), x.indexSelect(1, idx), 0);
        Tensor gi = Tensor.fromIndices(new int[] {0, 5, 1, 1, 2, 3}, 6, 1);
        assertClose(x.to(d).gather(0, gi.to(d)), x.gather(0, gi), 0);
        assertThatThrownBy(() -> x.to(d).indexSelect(1, Tensor.fromIndices(new int[] {5}, 1).to(d)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out of range");
    }

    @Test
    void allocatorReusesMemoryAndReportsOutOfMemoryUsably() {
        Device d = Gpu.device();
        DeviceAllocator alloc = ((CudaBackend) d.backend()).context().allocator();
        Tensor t = Tensor.zeros(Shape.of(1000, 1000), d);
        t.close();
        long before = alloc.stats().driverAllocations;
        Tensor again = Tensor.zeros(Shape.of(1000, 1000), d);
        assertThat(alloc.stats().driverAllocations).isEqualTo(before);
        again.close();
        assertThatThrownBy(() -> alloc.allocate(1L << 50))
                .isInstanceOf(DeviceOutOfMemoryException.class).hasMessageContaining("requested").hasMessageContaining("free");
        try (Tensor ok = Tensor.ones(Shape.of(10), d)) {
            assertThat(ok.sum().item()).isEqualTo(10f);
        }
    }
}
