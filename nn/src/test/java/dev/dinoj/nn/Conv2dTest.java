package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Conv2dTest {
    private final Generator gen = new Generator(5);

    /** Direct convolution in double precision: out[b][o][y][x] = bias[o] + sum_{c,ky,kx} w[o][c][ky][kx] in[b][c][y*s-p+ky][x*s-p+kx]. */
    private static double[] naive(float[] x, int b, int c, int h, int w, float[] wt, float[] bias, int out, int k, int s, int p) {
        return naiveGrouped(x, b, c, h, w, wt, bias, out, k, s, p, 1, 1);
    }

    private static double relErr(float[] got, double[] ref) {
        double d = 0, r = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Float.isNaN(got[i])) return Double.NaN;
            d += (got[i] - ref[i]) * (got[i] - ref[i]);
            r += ref[i] * ref[i];
        }
        return Math.sqrt(d / r);
    }

    @Test
    void matchesADirectConvolutionForStridesPaddingsAndOddSizes() {
        int[][] cases = { // b, c, h, w, out, k, s, p, bias
            {2, 3, 8, 8, 5, 3, 2, 1, 1}, {1, 1, 7, 5, 3, 3, 1, 1, 0}, {3, 4, 9, 11, 2, 3, 2, 1, 1},
            {2, 2, 6, 6, 4, 1, 1, 0, 1}, {1, 3, 33, 7, 6, 5, 3, 2, 0}, {2, 2, 5, 5, 3, 2, 2, 0, 1}};
        for (int[] t : cases) {
            Conv2d conv = new Conv2d(t[1], t[4], t[5], t[6], t[7], t[8] == 1, gen);
            Tensor x = Tensor.randn(gen, t[0], t[1], t[2], t[3]);
            Map<String, Variable> ps = conv.namedParameters();
            float[] bias = t[8] == 1 ? ps.get("bias").data().toFloatArray() : null;
            double[] ref = naive(x.toFloatArray(), t[0], t[1], t[2], t[3], ps.get("weight").data().toFloatArray(), bias, t[4], t[5], t[6], t[7]);
            Variable y = conv.forward(Variable.constant(x));
            int oh = conv.outputSize(t[2]), ow = conv.outputSize(t[3]);
            assertThat(y.dims()).containsExactly(t[0], t[4], oh, ow);
            assertThat(relErr(y.data().toFloatArray(), ref)).as("case %s", java.util.Arrays.toString(t)).isLessThan(1e-5);
        }
    }

    /** Direct dilated, grouped convolution in double: output channel o reads input channels of its group, taps dilation apart. */
    private static double[] naiveGrouped(float[] x, int b, int c, int h, int w, float[] wt, float[] bias, int out, int k, int s, int p,
                                         int dil, int groups) {
        int oh = (h + 2 * p - dil * (k - 1) - 1) / s + 1, ow = (w + 2 * p - dil * (k - 1) - 1) / s + 1, ig = c / groups, og = out / groups;
        double[] y = new double[b * out * oh * ow];
        for (int n = 0; n < b; n++)
            for (int o = 0; o < out; o++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        double acc = bias == null ? 0 : bias[o];
                        for (int ci = 0; ci < ig; ci++)
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++) {
                                    int iy = oy * s - p + ky * dil, ix = ox * s - p + kx * dil, channel = o / og * ig + ci;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                    acc += (double) wt[((o * ig + ci) * k + ky) * k + kx] * x[((n * c + channel) * h + iy) * w + ix];
                                }
                        y[((n * out + o) * oh + oy) * ow + ox] = acc;
                    }
        return y;
    }

    @Test
    void dilatedAndGroupedConvolutionsMatchTheDirectOnes() {
        int[][] cases = { // b, c, h, w, out, k, s, p, dilation, groups, bias
            {2, 4, 9, 9, 6, 3, 1, 2, 2, 1, 1}, {1, 6, 8, 7, 9, 3, 2, 1, 1, 3, 0}, {2, 4, 7, 7, 4, 3, 1, 1, 1, 4, 1}, // depthwise
            {1, 8, 10, 6, 4, 3, 2, 3, 3, 2, 1}, {2, 6, 5, 5, 6, 1, 1, 0, 1, 2, 0}};
        for (int[] t : cases) {
            Conv2d conv = new Conv2d(t[1], t[4], t[5], t[6], t[7], t[8], t[9], t[10] == 1, gen);
            assertThat(conv.namedParameters().get("weight").data().dims()).containsExactly(t[4], t[1] / t[9], t[5], t[5]);
            Tensor x = Tensor.randn(gen, t[0], t[1], t[2], t[3]);
            Map<String, Variable> ps = conv.namedParameters();
            float[] bias = t[10] == 1 ? ps.get("bias").data().toFloatArray() : null;
            double[] ref = naiveGrouped(x.toFloatArray(), t[0], t[1], t[2], t[3], ps.get("weight").data().toFloatArray(), bias, t[4], t[5], t[6], t[7],
                    t[8], t[9]);
            Variable y = conv.forward(Variable.constant(x));
            assertThat(y.dims()).containsExactly(t[0], t[4], conv.outputSize(t[2]), conv.outputSize(t[3]));
            assertThat(relErr(y.data().toFloatArray(), ref)).as("case %s", java.util.Arrays.toString(t)).isLessThan(1e-5);
        }
        ModuleGradCheck check = ModuleGradCheck.defaults();
        Conv2d grouped = new Conv2d(4, 6, 3, 2, 2, 2, 2, true, gen);
        check.check(grouped, grouped::forward, Tensor.randn(gen, 2, 4, 7, 6));
        assertThatThrownBy(() -> new Conv2d(4, 6, 3, 1, 1, 1, 3, true, gen)).hasMessageContaining("divisible by groups 3");
        assertThatThrownBy(() -> new Conv2d(4, 4, 3, 1, 0, 3, 1, true, gen).outputSize(6)).hasMessageContaining("dilated 3");
    }

    @Test
    void tokenForwardIsTheSameConvolution() {
        Conv2d conv = new Conv2d(3, 4, 3, 2, 1, true, gen);
        Tensor x = Tensor.randn(gen, 2, 3, 7, 6);
        float[] nchw = conv.forward(Variable.constant(x)).data().toFloatArray();
        Variable t = conv.forwardTokens(Variable.constant(x.permute(0, 2, 3, 1).reshape(2, 42, 3)), 7, 6);
        assertThat(t.dims()).containsExactly(2, 4 * 3, 4);
        float[] back = t.data().reshape(2, 4, 3, 4).permute(0, 3, 1, 2).contiguous().toFloatArray();
        assertThat(back).containsExactly(nchw);
    }

    @Test
    void gradientsOfInputWeightAndBiasMatchFiniteDifferences() {
        ModuleGradCheck check = ModuleGradCheck.defaults();
        Conv2d conv = new Conv2d(3, 4, 3, 2, 1, true, gen);
        check.check(conv, conv::forward, Tensor.randn(gen, 2, 3, 7, 6));
        Conv2d one = new Conv2d(5, 3, 1, 1, 0, false, gen);
        check.check(one, one::forward, Tensor.randn(gen, 2, 5, 3, 3));
        Conv2d wide = new Conv2d(2, 3, 3, 1, 1, false, gen);
        check.check(wide, x -> wide.forwardTokens(x, 4, 5), Tensor.randn(gen, 3, 20, 2));
    }

    @Test
    void rejectsWrongChannelsAndTooSmallInputs() {
        Conv2d conv = new Conv2d(3, 4, 3, 2, 0, true, gen);
        assertThatThrownBy(() -> conv.forward(Variable.constant(Tensor.randn(gen, 1, 2, 8, 8)))).hasMessageContaining("[B, 3, H, W]");
        assertThatThrownBy(() -> conv.forwardTokens(Variable.constant(Tensor.randn(gen, 1, 10, 3)), 3, 4)).hasMessageContaining("[B, 3*4, 3]");
        assertThatThrownBy(() -> conv.forward(Variable.constant(Tensor.randn(gen, 1, 3, 2, 8)))).hasMessageContaining("smaller than the kernel");
        assertThatThrownBy(() -> new Conv2d(3, 4, 0, 1, 0, true, gen)).hasMessageContaining("kernel");
    }
}
