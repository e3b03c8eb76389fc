package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.ConvTaps;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Max-pooling over square windows with stride and padding (the padding never wins), as
 * torch.nn.MaxPool2d (floor mode), on channels-last tokens [B, H*W, C] or on [B, C, H, W]: one index
 * gather picks every window's taps from the input with a -infinity row appended, and a max over the taps
 * reduces them; the gradient goes to the winning tap (the max's backward, then the gather's scatter-add).
 */
public final class MaxPool2d extends Module {
    private final int kernel, stride, padding;
    private final Map<Integer, int[]> taps = new ConcurrentHashMap<>();

    public MaxPool2d(int kernel, int stride, int padding) {
        if (kernel <= 0 || stride <= 0 || padding < 0 || 2 * padding > kernel) {
            throw new IllegalArgumentException("MaxPool2d: kernel and stride must be positive and padding in [0, kernel / 2], got kernel " + kernel
                    + ", stride " + stride + ", padding " + padding);
        }
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    /** Output side for an input side. */
    public int outputSize(int size) {
        int o = ConvTaps.outputSize(size, kernel, stride, padding, 1);
        if (o <= 0) throw new IllegalArgumentException("MaxPool2d: input side " + size + " is smaller than the window " + kernel + " with padding " + padding);
        return o;
    }

    /** x: [B, C, H, W]; returns [B, C, OH, OW]. */
    @Override
    public Variable forward(Variable x) {
        if (x.rank() != 4) throw new IllegalArgumentException("MaxPool2d: input must be [B, C, H, W], got " + x.shape());
        int b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        Variable tokens = x.permute(0, 2, 3, 1).reshape(b, h * w, c);
        return forwardTokens(tokens, h, w).reshape(b, outputSize(h), outputSize(w), c).permute(0, 3, 1, 2).contiguous();
    }

    /** x: [B, H*W, C] (positions row-major); returns [B, OH*OW, C]. */
    public Variable forwardTokens(Variable x, int h, int w) {
        if (x.rank() != 3 || x.size(1) != h * w) {
            throw new IllegalArgumentException("MaxPool2d: input must be [B, " + h + "*" + w + ", C], got " + x.shape());
        }
        int b = x.size(0), c = x.size(2), positions = outputSize(h) * outputSize(w), kk = kernel * kernel;
        Tensor floor = Tensor.full(Shape.of(b, 1, c), Float.NEGATIVE_INFINITY, x.data().device());
        Variable padded = Variable.cat(1, x, Variable.constant(floor));
        int[] idx = taps.computeIfAbsent(h * 65536 + w, key -> ConvTaps.of(h, w, kernel, stride, padding, 1));
        Tensor index = Tensor.fromIndices(idx).to(x.data().device());
        return padded.indexSelect(1, index).reshape(b, positions, kk, c).max(2, false);
    }
}
