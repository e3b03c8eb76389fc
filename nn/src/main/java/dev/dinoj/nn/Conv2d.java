package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A square-kernel 2-D convolution with stride and zero padding, as torch.nn.Conv2d (weight
 * [out, in, k, k], optional bias [out], PyTorch's default init), written as im2col + matmul from
 * existing autograd ops: a zero row is appended to the input, one index gather picks every kernel tap
 * (the pad positions pick the zero row), and one matmul applies the weight. The gather's backward is a
 * scatter-add, so the gradient needs no rule of its own, and the op runs on every backend.
 *
 * <p>The work is done on channels-last tokens, {@code [B, H*W, C]} (row-major positions, as a ViT's
 * patch tokens), where the gathered taps of a position are already the row of the im2col matrix (no
 * copy between the gather and the matmul), and a normalisation over channels or over (batch,
 * positions) applies to the output directly; {@link #forward} takes and returns torch's
 * {@code [B, C, H, W]}.
 */
public final class Conv2d extends Module {
    private final int in, out, kernel, stride, padding;
    private final Variable weight, bias;
    /** im2col indices by input size (h * 65536 + w): small int arrays, built once per crop size. */
    private final Map<Integer, int[]> taps = new ConcurrentHashMap<>();

    public Conv2d(int in, int out, int kernel, int stride, int padding, boolean bias, Generator g) {
        if (in <= 0 || out <= 0 || kernel <= 0 || stride <= 0 || padding < 0) {
            throw new IllegalArgumentException("Conv2d: channels, kernel and stride must be positive and padding >= 0, got in " + in
                    + ", out " + out + ", kernel " + kernel + ", stride " + stride + ", padding " + padding);
        }
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        int fanIn = in * kernel * kernel;
        this.weight = registerParameter("weight", Init.pytorchDefault(Tensor.empty(out, in, kernel, kernel), fanIn, g));
        this.bias = bias ? registerParameter("bias", Init.pytorchDefault(Tensor.empty(out), fanIn, g)) : null;
    }

    public int outChannels() {
        return out;
    }

    /** Output side for an input side: floor((size + 2 padding - kernel) / stride) + 1. */
    public int outputSize(int size) {
        int o = (size + 2 * padding - kernel) / stride + 1;
        if (size + 2 * padding < kernel || o <= 0) {
            throw new IllegalArgumentException("Conv2d: input side " + size + " is smaller than the kernel " + kernel + " with padding " + padding);
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

    /** x: [B, H*W, in] (positions row-major); returns [B, OH*OW, out]. */
    public Variable forwardTokens(Variable x, int h, int w) {
        if (x.rank() != 3 || x.size(1) != h * w || x.size(2) != in) {
            throw new IllegalArgumentException("Conv2d: input must be [B, " + h + "*" + w + ", " + in + "], got " + x.shape());
        }
        int b = x.size(0), oh = outputSize(h), ow = outputSize(w), kk = kernel * kernel, positions = oh * ow;
        Variable cols;
        if (kernel == 1 && stride == 1 && padding == 0) {
            cols = x.reshape(b * positions, in);
        } else {
            Variable padded = Variable.cat(1, x, Variable.constant(Tensor.zeros(Shape.of(b, 1, in), x.data().device())));
            int[] idx = taps.computeIfAbsent(h * 65536 + w, key -> ConvTaps.of(h, w, kernel, stride, padding, 1));
            Tensor index = Tensor.fromIndices(idx).to(x.data().device());
            // [B, OH*OW*kk, in] is already rows (batch, position) by columns (tap, channel)
            cols = padded.indexSelect(1, index).reshape(b * positions, kk * in);
        }
        Variable wm = weight.permute(2, 3, 1, 0).reshape(kk * in, out);
        Variable y = bias == null ? cols.matmul(wm) : cols.matmul(wm, bias);
        return y.reshape(b, positions, out);
    }
}
