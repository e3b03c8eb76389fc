package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.ConvTaps;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;

/**
 * A square-kernel 2-D convolution with stride, zero padding, dilation and groups, as torch.nn.Conv2d
 * (weight [out, in / groups, k, k], optional bias [out], PyTorch's default init), computed by the
 * device's {@link dev.dinoj.tensor.Convolution} (the CPU's: im2col by one gather + one GEMM; CUDA's: cuDNN).
 *
 * <p>The work is done on channels-last tokens, {@code [B, H*W, C]} (row-major positions, as a ViT's
 * patch tokens), where the gathered taps of a position are already the row of the im2col matrix (no
 * copy between the gather and the matmul), and a normalisation over channels or over (batch,
 * positions) applies to the output directly; {@link #forward} takes and returns torch's
 * {@code [B, C, H, W]}.
 */
public final class Conv2d extends Module {
    private final int in, out, kernel, stride, padding, dilation, groups;
    private final Variable weight, bias;

    public Conv2d(int in, int out, int kernel, int stride, int padding, boolean bias, Generator g) {
        this(in, out, kernel, stride, padding, 1, 1, bias, g);
    }

    public Conv2d(int in, int out, int kernel, int stride, int padding, int dilation, int groups, boolean bias, Generator g) {
        if (in <= 0 || out <= 0 || kernel <= 0 || stride <= 0 || padding < 0 || dilation <= 0 || groups <= 0) {
            throw new IllegalArgumentException("Conv2d: channels, kernel, stride, dilation and groups must be positive and padding >= 0, got in "
                    + in + ", out " + out + ", kernel " + kernel + ", stride " + stride + ", padding " + padding + ", dilation " + dilation
                    + ", groups " + groups);
        }
        if (in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("Conv2d: in (" + in + ") and out (" + out + ") channels must both be divisible by groups " + groups);
        }
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.groups = groups;
        int fanIn = in / groups * kernel * kernel;
        this.weight = registerParameter("weight", Init.pytorchDefault(Tensor.empty(out, in / groups, kernel, kernel), fanIn, g));
        this.bias = bias ? registerParameter("bias", Init.pytorchDefault(Tensor.empty(out), fanIn, g)) : null;
    }

    public int outChannels() {
        return out;
    }

    /** Output side for an input side: floor((size + 2 padding - dilation (kernel - 1) - 1) / stride) + 1. */
    public int outputSize(int size) {
        int o = ConvTaps.outputSize(size, kernel, stride, padding, dilation);
        if (o <= 0) {
            throw new IllegalArgumentException("Conv2d: input side " + size + " is smaller than the kernel " + kernel
                    + (dilation > 1 ? " dilated " + dilation : "") + " with padding " + padding);
        }
        return o;
    }

    /** x: [B, in, H, W]; returns [B, out, OH, OW]. */
    @Override
    public Variable forward(Variable x) {
        if (x.rank() != 4 || x.size(1) != in) {
            throw new IllegalArgumentException("Conv2d: input must be [B, " + in + ", H, W], got " + x.shape());
        }
        int b = x.size(0), h = x.size(2), w = x.size(3);
        Variable tokens = x.permute(0, 2, 3, 1).reshape(b, h * w, in);
        return forwardTokens(tokens, h, w).reshape(b, outputSize(h), outputSize(w), out).permute(0, 3, 1, 2).contiguous();
    }

    /** x: [B, H*W, in] (positions row-major); returns [B, OH*OW, out] through the device's convolution. */
    public Variable forwardTokens(Variable x, int h, int w) {
        if (x.rank() != 3 || x.size(1) != h * w || x.size(2) != in) {
            throw new IllegalArgumentException("Conv2d: input must be [B, " + h + "*" + w + ", " + in + "], got " + x.shape());
        }
        outputSize(h);
        outputSize(w);
        return x.conv2d(h, w, weight, bias, stride, padding, dilation, groups);
    }
}
