package dev.dinoj.cuda;

import static dev.dinoj.cuda.Gpu.assertClose;
import static dev.dinoj.cuda.Gpu.randn;

import dev.dinoj.tensor.BatchNormResult;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CUDA backend's batch norm (cuDNN where it loads, the default composition elsewhere and for one
 * row) against the CPU backend's: output, mean, biased variance, rstd and the three gradients, with
 * and without weight/bias and the fused ReLU.
 */
@Tag("gpu")
class CudnnBatchNormTest {
    @ParameterizedTest(name = "{0}x{1} weight {2} bias {3} relu {4}")
    @CsvSource({
        "64, 16, true, true, false",
        "197, 7, true, true, true",
        "33, 64, false, false, false",
        "33, 5, false, false, true",
        "2, 1, true, false, true",
        "8, 3, false, true, false",
        "1, 4, true, true, false",
    })
    void matchesTheCpuBackend(int n, int c, boolean weight, boolean bias, boolean relu) {
        Device d = Gpu.device();
        long seed = 31L * n + c;
        // columns on different scales and away from zero (mean ~ 20 in the last), so a one-pass variance would show
        Tensor scale = randn(seed + 1, c).abs().add(0.5f), shift = randn(seed + 2, c).mul(3f).add(Tensor.arange(c).eq(c - 1).mul(20f));
        Tensor x = randn(seed, n, c).mul(scale).add(shift);
        Tensor w = weight ? randn(seed + 3, c) : null, b = bias ? randn(seed + 4, c) : null;
        Tensor gradOut = randn(seed + 5, n, c);
        String on = ((CudaBackend) d.backend()).cudnnStatus();
        float eps = 1e-5f;

        BatchNormResult want = x.batchNormWithStats(w, b, eps, relu);
        BatchNormResult got = x.to(d).batchNormWithStats(weight ? w.to(d) : null, bias ? b.to(d) : null, eps, relu);
        assertClose("output, " + on, got.output(), want.output(), 1e-4);
        assertClose("mean, " + on, got.mean(), want.mean(), 1e-5);
        assertClose("var, " + on, got.var(), want.var(), 1e-4);
        assertClose("rstd, " + on, got.rstd(), want.rstd(), 1e-4);

        Tensor[] gw = x.batchNormBackward(w, b, want, relu, gradOut, weight, bias);
        Tensor[] gg = x.to(d).batchNormBackward(weight ? w.to(d) : null, bias ? b.to(d) : null, got, relu, gradOut.to(d), weight, bias);
        assertClose("gradX, " + on, gg[0], gw[0], 1e-4);
        if (weight) assertClose("gradWeight, " + on, gg[1], gw[1], 1e-4);
        if (bias) assertClose("gradBias, " + on, gg[2], gw[2], 1e-4);
    }
}
