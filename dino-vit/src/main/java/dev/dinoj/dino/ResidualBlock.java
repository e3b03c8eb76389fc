package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.BatchNorm2d;
import dev.dinoj.nn.Conv2d;
import dev.dinoj.nn.Init;
import dev.dinoj.nn.Module;
import dev.dinoj.nn.Sequential;
import dev.dinoj.tensor.Generator;

/**
 * A ResNet block on channels-last tokens [B, H*W, C]: relu(branch(x) + shortcut(x)), the shortcut the
 * identity or, where the block changes stride or width, torchvision's "downsample" (1x1 convolution with
 * the block's stride, then batch norm).
 */
public abstract class ResidualBlock extends Module {
    private Conv2d shortcutConv;
    private BatchNorm2d shortcutNorm;

    /** Adds the downsample where the block changes stride or width; called last, so the names come in torchvision's order. */
    protected final void addShortcut(int in, int out, int stride, Generator g) {
        if (stride == 1 && in == out) return;
        shortcutConv = conv(in, out, 1, stride, g);
        shortcutNorm = new BatchNorm2d(out);
        registerModule("downsample", new Sequential(shortcutConv, shortcutNorm));
    }

    /** A bias-free convolution initialised as torchvision's (He normal, fan-out). */
    static Conv2d conv(int in, int out, int kernel, int stride, Generator g) {
        Conv2d c = new Conv2d(in, out, kernel, stride, kernel / 2, false, g);
        Init.kaimingNormalFanOut(c.namedParameters().get("weight").data(), g);
        return c;
    }

    /** The residual branch: tokens of an h x w grid to tokens of the output grid (no final ReLU). */
    protected abstract Variable branch(Variable x, int h, int w);

    /** The output side for an input side. */
    public abstract int outputSide(int side);

    /** x: [B, h*w, in]; returns [B, oh*ow, out]. */
    public final Variable forwardTokens(Variable x, int h, int w) {
        Variable identity = shortcutConv == null ? x : shortcutNorm.forwardTokens(shortcutConv.forwardTokens(x, h, w), false);
        return branch(x, h, w).add(identity).relu();
    }
}
