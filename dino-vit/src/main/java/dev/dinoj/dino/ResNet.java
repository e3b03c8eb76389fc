package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.BatchNorm2d;
import dev.dinoj.nn.Conv2d;
import dev.dinoj.nn.MaxPool2d;
import dev.dinoj.nn.Sequential;
import dev.dinoj.tensor.Generator;

import java.util.Locale;

/**
 * A ResNet backbone (He et al. 2016) in torchvision's layout and parameter names (conv1, bn1,
 * layer1..layer4 of blocks, each with its downsample where the shape changes), without the classifier:
 * {@link #forward} returns the globally average-pooled features [B, C] (512 for ResNet-18/34, 2048 for
 * ResNet-50), what DINO and its lineage train (torchvision's fc replaced by the identity). The
 * small-image variant for 32-px images (CIFAR-style, as solo-learn's) has a 3x3 stride-1 stem and no
 * max-pool. Runs on channels-last tokens between the stem and the pool: no permute between layers.
 */
public final class ResNet extends Backbone {
    /** The depths torchvision names: blocks per stage and block kind. */
    public enum Arch {
        RESNET18(new int[] {2, 2, 2, 2}, false), RESNET34(new int[] {3, 4, 6, 3}, false), RESNET50(new int[] {3, 4, 6, 3}, true);

        final int[] blocks;
        final boolean bottleneck;

        Arch(int[] blocks, boolean bottleneck) {
            this.blocks = blocks;
            this.bottleneck = bottleneck;
        }

        /** The feature width after the last stage. */
        public int features() {
            return 512 * (bottleneck ? Bottleneck.EXPANSION : BasicBlock.EXPANSION);
        }

        public static Arch parse(String s) {
            switch (s == null ? "" : s.toLowerCase(Locale.ROOT)) {
                case "resnet18": return RESNET18;
                case "resnet34": return RESNET34;
                case "resnet50": return RESNET50;
                default: throw new IllegalArgumentException("ResNet: unknown architecture '" + s + "' (resnet18, resnet34, resnet50)");
            }
        }
    }

    private final Arch arch;
    private final boolean smallImages;
    private final int imageSize;
    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final MaxPool2d maxpool;
    private final Sequential[] layers = new Sequential[4];

    /**
     * @param smallImages the 3x3 stride-1 stem without max-pool, for images of about 32 px
     * @param imageSize the training resolution, where the evaluations resize images to (any size runs)
     */
    public ResNet(Arch arch, int inChannels, boolean smallImages, int imageSize, Generator g) {
        if (imageSize <= 0) throw new IllegalArgumentException("ResNet: image size must be positive, got " + imageSize);
        this.arch = arch;
        this.smallImages = smallImages;
        this.imageSize = imageSize;
        // torchvision's 7x7 stride-2 stem (padding 3), or the small-image 3x3 stride-1 one
        conv1 = registerModule("conv1", smallImages ? ResidualBlock.conv(inChannels, 64, 3, 1, g) : ResidualBlock.conv(inChannels, 64, 7, 2, g));
        bn1 = registerModule("bn1", new BatchNorm2d(64));
        maxpool = smallImages ? null : new MaxPool2d(3, 2, 1);
        int in = 64;
        for (int stage = 0; stage < 4; stage++) {
            int width = 64 << stage;
            Sequential layer = new Sequential();
            for (int i = 0; i < arch.blocks[stage]; i++) {
                int stride = i == 0 && stage > 0 ? 2 : 1;
                ResidualBlock block = arch.bottleneck ? new Bottleneck(in, width, stride, g) : new BasicBlock(in, width, stride, g);
                layer.add(block);
                in = width * (arch.bottleneck ? Bottleneck.EXPANSION : BasicBlock.EXPANSION);
            }
            layers[stage] = registerModule("layer" + (stage + 1), layer);
        }
    }

    public Arch arch() {
        return arch;
    }

    public boolean smallImages() {
        return smallImages;
    }

    /** The width of the pooled features. */
    @Override
    public int embedDim() {
        return arch.features();
    }

    @Override
    public int imageSize() {
        return imageSize;
    }

    /** The training resolution (the architecture and stem follow from the weights). */
    @Override
    public java.util.Map<String, String> describe() {
        return java.util.Map.of("image_size", Integer.toString(imageSize));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s (%s stem), %d-d features, %d px", arch.name().toLowerCase(Locale.ROOT),
                smallImages ? "3x3 small-image" : "7x7 + max-pool", embedDim(), imageSize);
    }

    /** x: [B, C, H, W]; returns the average-pooled features [B, embedDim]. */
    @Override
    public Variable forward(Variable x) {
        if (x.rank() != 4) throw new IllegalArgumentException("ResNet: input must be [B, C, H, W], got " + x.shape());
        int b = x.size(0), h = x.size(2), w = x.size(3);
        Variable t = conv1.forwardTokens(x.permute(0, 2, 3, 1).reshape(b, h * w, x.size(1)), h, w);
        h = conv1.outputSize(h);
        w = conv1.outputSize(w);
        t = bn1.forwardTokens(t, true);
        if (maxpool != null) {
            t = maxpool.forwardTokens(t, h, w);
            h = maxpool.outputSize(h);
            w = maxpool.outputSize(w);
        }
        for (Sequential layer : layers) {
            for (int i = 0; i < layer.size(); i++) {
                ResidualBlock block = (ResidualBlock) layer.get(i);
                t = block.forwardTokens(t, h, w);
                h = block.outputSide(h);
                w = block.outputSide(w);
            }
        }
        return t.mean(1, false);
    }
}
