package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;

/**
 * A Conv2d whose kernel equals its stride (non-overlapping patches), written as reshape + matmul:
 * [B, C, H, W] -> [B, H/p * W/p, out] in row-major patch order. Weight [out, C, p, p] and bias [out]
 * as torch.nn.Conv2d, with its default init.
 */
public final class PatchConv2d extends Module {
    private final int in, out, patch;
    private final Variable weight, bias;

    public PatchConv2d(int in, int out, int patch, Generator g) {
        if (patch <= 0) throw new IllegalArgumentException("PatchConv2d: patch size must be positive, got " + patch);
        this.in = in;
        this.out = out;
        this.patch = patch;
        int fanIn = in * patch * patch;
        this.weight = registerParameter("weight", Init.pytorchDefault(Tensor.empty(out, in, patch, patch), fanIn, g));
        this.bias = registerParameter("bias", Init.pytorchDefault(Tensor.empty(out), fanIn, g));
    }

    public int patch() {
        return patch;
    }

    /** x: [B, C, H, W] with H and W multiples of the patch size; returns [B, (H/p)(W/p), out]. */
    @Override
    public Variable forward(Variable x) {
        if (x.rank() != 4 || x.size(1) != in) {
            throw new IllegalArgumentException("PatchConv2d: input must be [B, " + in + ", H, W], got " + x.shape());
        }
        int b = x.size(0), h = x.size(2), w = x.size(3);
        if (h % patch != 0 || w % patch != 0) {
            throw new IllegalArgumentException("PatchConv2d: image size " + h + "x" + w + " is not a multiple of the patch size " + patch);
        }
        int gh = h / patch, gw = w / patch, k = in * patch * patch;
        Variable patches = x.reshape(b, in, gh, patch, gw, patch).permute(0, 2, 4, 1, 3, 5).reshape(b * gh * gw, k);
        Variable y = patches.matmul(weight.reshape(out, k).transpose(0, 1)).add(bias);
        return y.reshape(b, gh * gw, out);
    }
}
