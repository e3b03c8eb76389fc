package dev.dinoj.cuda;

import static dev.dinoj.cuda.Gpu.assertClose;
import static dev.dinoj.cuda.Gpu.randn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dinoj.tensor.Attention;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.ReferenceAttention;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The CUDA attention op against the reference on the CPU: strided [B, H, N, d] views, fused head dims and the fallbacks. */
@Tag("gpu")
class CudaAttentionTest {
    @ParameterizedTest
    @CsvSource({"32, 0, true", "64, 0, true", "48, 0, false", "32, 0.25, false"})
    void matchesTheReferenceOnTheCpu(int hd, float dropout, boolean fused) {
        Device d = Gpu.device();
        int b = 2, heads = 3, n = 37;
        // q, k, v as the model has them: strided views of one packed [B, N, 3, H, d] projection
        Tensor packed = randn(hd + 1, b, n, 3, heads, hd).permute(2, 0, 3, 1, 4);
        Tensor gpuPacked = packed.to(d);
        Tensor gradOut = randn(hd + 2, b, heads, n, hd);
        float scale = (float) (1 / Math.sqrt(hd));
        Attention.Args cpuArgs = new Attention.Args(packed.select(0, 0), packed.select(0, 1), packed.select(0, 2), scale, dropout,
                dropout > 0 ? new Generator(3) : null);
        Attention.Args gpuArgs = new Attention.Args(gpuPacked.select(0, 0), gpuPacked.select(0, 1), gpuPacked.select(0, 2), scale, dropout,
                dropout > 0 ? new Generator(3) : null);
        Attention op = d.backend().attention();
        assertThat(CudaAttention.fused(gpuArgs)).isEqualTo(fused);

        Attention.Forward want = ReferenceAttention.INSTANCE.forward(cpuArgs), got = op.forward(gpuArgs);
        assertClose(got.output(), want.output(), 1e-4);
        Attention.Grads gw = ReferenceAttention.INSTANCE.backward(cpuArgs, want, gradOut), gg = op.backward(gpuArgs, got, gradOut.to(d));
        assertClose(gg.dq(), gw.dq(), 1e-4);
        assertClose(gg.dk(), gw.dk(), 1e-4);
        assertClose(gg.dv(), gw.dv(), 1e-4);
        assertClose(op.probabilities(gpuArgs, got), ReferenceAttention.INSTANCE.probabilities(cpuArgs, want), 1e-5);
    }
}
