package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.BatchNorm2d;
import dev.dinoj.nn.Conv2d;
import dev.dinoj.tensor.Generator;

/**
 * ResNet-50's block as torchvision's ("v1.5": the stride on the 3x3 convolution): 1x1 conv - BN - ReLU -
 * 3x3 conv (stride) - BN - ReLU - 1x1 conv to 4x the width - BN, plus the shortcut; torchvision's names.
 */
public final class Bottleneck extends ResidualBlock {
    public static final int EXPANSION = 4;
    private final Conv2d conv1, conv2, conv3;
    private final BatchNorm2d bn1, bn2, bn3;

    public Bottleneck(int in, int width, int stride, Generator g) {
        conv1 = registerModule("conv1", conv(in, width, 1, 1, g));
        bn1 = registerModule("bn1", new BatchNorm2d(width));
        conv2 = registerModule("conv2", conv(width, width, 3, stride, g));
        bn2 = registerModule("bn2", new BatchNorm2d(width));
        conv3 = registerModule("conv3", conv(width, width * EXPANSION, 1, 1, g));
        bn3 = registerModule("bn3", new BatchNorm2d(width * EXPANSION));
        addShortcut(in, width * EXPANSION, stride, g);
    }

    @Override
    protected Variable branch(Variable x, int h, int w) {
        Variable y = bn1.forwardTokens(conv1.forwardTokens(x, h, w), true);
        int oh = conv2.outputSize(h), ow = conv2.outputSize(w);
        y = bn2.forwardTokens(conv2.forwardTokens(y, h, w), true);
        return bn3.forwardTokens(conv3.forwardTokens(y, oh, ow), false);
    }

    @Override
    public int outputSide(int side) {
        return conv2.outputSize(side);
    }
}
