package dev.dinoj.cuda;

import static dev.dinoj.cuda.Gpu.assertRelativeError;
import static dev.dinoj.cuda.Gpu.randn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.dinoj.tensor.Convolution;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.ReferenceConvolution;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CUDA backend's convolution (cuDNN where it loads, the reference on the GPU where it does not)
 * against the reference on the CPU: forward and the three gradients over kernels 1/3/7, strides,
 * padding, dilation, groups up to depthwise, with and without bias, odd sizes and strided inputs.
 */
@Tag("gpu")
class CudnnConvolutionTest {
    /** FP32 accumulation orders differ (and FFT/Winograd algorithms round differently): GEMM's bound; TF32's when it is on. */
    private static final double TOL = Boolean.getBoolean(CudaContext.TF32) ? 2e-3 : 1e-4;

    private static String path(Device d) {
        return ((CudaBackend) d.backend()).cudnnStatus();
    }

    @ParameterizedTest(name = "B{0} {1}x{2} in{3} out{4} k{5} s{6} p{7} d{8} g{9} bias {10} strided {11}")
    @CsvSource({
        "2, 9, 9, 8, 16, 3, 1, 1, 1, 1, true, false",
        "1, 7, 5, 3, 5, 1, 1, 0, 1, 1, false, false",
        "2, 11, 13, 3, 8, 7, 2, 3, 1, 1, true, false",
        "3, 8, 8, 8, 12, 3, 2, 1, 1, 4, true, true",
        "2, 10, 9, 6, 6, 3, 1, 2, 2, 2, false, false",
        "2, 9, 9, 8, 8, 3, 1, 1, 1, 8, true, true",
        "1, 1, 1, 4, 3, 1, 1, 0, 1, 1, true, false",
        "2, 6, 7, 4, 4, 3, 2, 0, 1, 1, false, true",
        "3, 33, 17, 5, 7, 3, 1, 1, 1, 1, true, true",
        "2, 14, 14, 16, 32, 1, 2, 0, 1, 1, false, false",
    })
    void forwardAndGradientsMatchTheReferenceOnTheCpu(int b, int h, int w, int in, int out, int k, int stride, int padding, int dilation,
                                                      int groups, boolean bias, boolean strided) {
        Device d = Gpu.device();
        long seed = 1000L * k + 100L * groups + h;
        // strided: x as the [B, in, H*W] tensor's transposed view, as a channels-first activation would hand it over
        Tensor xCpu = strided ? randn(seed, b, in, h * w).transpose(1, 2) : randn(seed, b, h * w, in);
        Tensor xGpu = strided ? randn(seed, b, in, h * w).to(d).transpose(1, 2) : xCpu.to(d);
        assertThat(xGpu.isContiguous()).isEqualTo(!strided);
        Tensor weight = randn(seed + 1, out, in / groups, k, k), biasCpu = bias ? randn(seed + 2, out) : null;
        Convolution.Args cpu = new Convolution.Args(xCpu, h, w, weight, biasCpu, stride, padding, dilation, groups);
        Convolution.Args gpu = new Convolution.Args(xGpu, h, w, weight.to(d), bias ? biasCpu.to(d) : null, stride, padding, dilation, groups);
        Tensor gradOut = randn(seed + 3, b, cpu.outHeight() * cpu.outWidth(), out);
        String on = " (" + path(d) + ")";

        Convolution op = d.backend().convolution();
        Convolution.Forward want = ReferenceConvolution.INSTANCE.forward(cpu), got = op.forward(gpu);
        assertRelativeError("output" + on, got.output(), want.output(), TOL);

        Convolution.Grads gw = ReferenceConvolution.INSTANCE.backward(cpu, want, gradOut, true, true, true);
        Convolution.Grads gg = op.backward(gpu, got, gradOut.to(d), true, true, true);
        assertRelativeError("dx" + on, gg.dx(), gw.dx(), TOL);
        assertRelativeError("dweight" + on, gg.dweight(), gw.dweight(), TOL);
        if (bias) assertRelativeError("dbias" + on, gg.dbias(), gw.dbias(), TOL);
        else assertThat(gg.dbias()).isNull();

        // only what is asked for: the input's gradient alone, then the weight's alone (the same values again)
        Convolution.Grads onlyInput = op.backward(gpu, got, gradOut.to(d), true, false, false);
        assertThat(onlyInput.dweight()).isNull();
        assertThat(onlyInput.dbias()).isNull();
        assertRelativeError("dx alone" + on, onlyInput.dx(), gw.dx(), TOL);
        Convolution.Grads onlyWeight = op.backward(gpu, got, gradOut.to(d), false, true, false);
        assertThat(onlyWeight.dx()).isNull();
        assertRelativeError("dweight alone" + on, onlyWeight.dweight(), gw.dweight(), TOL);
    }

    @Test
    void cudnnRunsTheConvolutionWhereItLoads() {
        Device d = Gpu.device();
        String path = path(d);
        assumeTrue(path.startsWith("cuDNN"), () -> "skipped, the reference runs here: " + path);
        Tensor x = randn(5, 2, 36, 8).to(d), weight = randn(6, 16, 8, 3, 3).to(d);
        Convolution.Forward f = d.backend().convolution().forward(new Convolution.Args(x, 6, 6, weight, null, 1, 1, 1, 1));
        assertThat(f.saved().getClass().getEnclosingClass()).as("the forward's saved state").isEqualTo(CudnnConvolution.class);
    }
}
