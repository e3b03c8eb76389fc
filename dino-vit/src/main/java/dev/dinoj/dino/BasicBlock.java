package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.BatchNorm2d;
import dev.dinoj.nn.Conv2d;
import dev.dinoj.tensor.Generator;

/** ResNet-18/34's block (He et al. 2016): 3x3 conv (stride) - BN - ReLU - 3x3 conv - BN, plus the shortcut; torchvision's names. */
public final class BasicBlock extends ResidualBlock {
    public static final int EXPANSION = 1;
    private final Conv2d conv1, conv2;
    private final BatchNorm2d bn1, bn2;

    public BasicBlock(int in, int width, int stride, Generator g) {
        conv1 = registerModule("conv1", conv(in, width, 3, stride, g));
        bn1 = registerModule("bn1", new BatchNorm2d(width));
        conv2 = registerModule("conv2", conv(width, width, 3, 1, g));
        bn2 = registerModule("bn2", new BatchNorm2d(width));
        addShortcut(in, width * EXPANSION, stride, g);
    }

    @Override
    protected Variable branch(Variable x, int h, int w) {
        int oh = conv1.outputSize(h), ow = conv1.outputSize(w);
        Variable y = bn1.forwardTokens(conv1.forwardTokens(x, h, w), true);
        return bn2.forwardTokens(conv2.forwardTokens(y, oh, ow), false);
    }

    @Override
    public int outputSide(int side) {
        return conv1.outputSize(side);
    }
}
