package dev.dinoj.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;
import java.util.concurrent.CompletableFuture;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A context of its own (the device's primary context retained once more) on threads, closing and the sync-check switch. */
@Tag("gpu")
class CudaContextTest {
    @Test
    void kernelLookupsAndSharedMemoryOptInsMakeTheContextCurrentOnAFreshThread() throws Exception {
        Device d = Gpu.device();
        try (CudaContext ctx = CudaContext.open(d, d.index())) {
            // a new thread has no current context; the lookups below are the first thing it does
            CompletableFuture.runAsync(() -> {
                CUctx_st before = new CUctx_st();
                Driver.check(org.bytedeco.cuda.global.cudart.cuCtxGetCurrent(before), "cuCtxGetCurrent");
                assertThat(before.isNull()).as("a fresh thread starts without a current context").isTrue();
                ctx.allowSharedMemory(KernelCatalog.ATTN_BWD_DKDV_D128, CudaKernels.dkdvShared(128));
                assertThat(ctx.function(KernelCatalog.EW_FILL_F32).isNull()).isFalse();
            }, runnable -> new Thread(runnable).start()).get();
        }
    }

    @Test
    void closingFreesTheContextOnceAndLeavesTheDeviceUsable() {
        Device d = Gpu.device();
        CudaContext ctx = CudaContext.open(d, d.index());
        long block = ctx.allocator().allocate(4096);
        ctx.allocator().release(block);
        ctx.close();
        ctx.close(); // a second close does nothing
        assertThatThrownBy(ctx::synchronize).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> ctx.allocator().allocate(4096)).isInstanceOf(IllegalStateException.class);
        // the device's own context still holds the primary context: releasing ours did not tear it down
        try (Tensor ok = Tensor.ones(Shape.of(1000), d)) {
            assertThat(ok.sum().item()).isEqualTo(1000f);
        }
    }

    @Test
    void withSyncCheckLaunchesAreSynchronisedAndStillCompute() {
        Device d = Gpu.device();
        String before = System.getProperty(CudaContext.SYNC_CHECK);
        System.setProperty(CudaContext.SYNC_CHECK, "true");
        try (CudaContext ctx = CudaContext.open(d, d.index())) {
            assertThat(ctx.syncCheck()).isTrue();
            int n = 1001;
            long buf = ctx.allocator().allocate(4L * n);
            synchronized (ctx) {
                ctx.args().ptr(buf).strides(new int[] {1}).shape(new int[] {n}).i64(n).f32(2.5f);
                ctx.launch(KernelCatalog.EW_FILL_F32, (n + 255) / 256, 1, 256, 0);
            }
            float[] out = new float[n];
            ctx.download(buf, out, 0, n);
            for (float v : out) assertThat(v).isEqualTo(2.5f);
            ctx.allocator().release(buf);
            assertThatThrownBy(() -> ctx.launch(KernelCatalog.EW_FILL_F32, 1, CudaContext.MAX_GRID_Y + 1, 256, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ew_fill_f32").hasMessageContaining("65535");
        } finally {
            if (before == null) System.clearProperty(CudaContext.SYNC_CHECK);
            else System.setProperty(CudaContext.SYNC_CHECK, before);
        }
    }
}
