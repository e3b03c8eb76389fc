package dev.dinoj.dino;

import java.util.Locale;

/**
 * The shape of a Vision Transformer: width, depth, heads, patch size, the image size its position
 * embedding is made for, MLP ratio and the stochastic-depth rate. Presets follow the reference
 * (vit_tiny 192/12/3, vit_small 384/12/6, vit_base 768/12/12, MLP ratio 4, qkv bias, LayerNorm eps 1e-6).
 */
public final class VitConfig {
    /** How images become tokens. */
    public enum Stem {
        /** The reference's patchify layer: one conv with kernel = stride = patch. */
        PATCH("patch"),
        /** {@link ConvStem}: 3x3 stride-2 convs with batch norm and ReLU, then a 1x1 conv (Xiao et al. 2021). */
        CONV("conv"),
        /** {@link ConvStem} with LayerNorm over channels in place of batch norm (no coupling between the images of a batch). */
        CONV_LN("conv-ln");

        public final String option;

        Stem(String option) {
            this.option = option;
        }

        /** patch, conv or conv-ln. */
        public static Stem parse(String s) {
            for (Stem v : values()) if (v.option.equals(s)) return v;
            throw new IllegalArgumentException("--stem must be patch, conv or conv-ln, got '" + s + "'");
        }
    }

    public final int embedDim, depth, heads, patchSize, imageSize;
    public final float mlpRatio, dropPathRate;
    public final Stem stem;
    /** 3x3 convolutions per stage of a conv stem: 1 (Xiao et al.'s stem), or more, each extra one stride 1 at the stage's resolution. */
    public final int stemDepth;
    /** DINOv2's register tokens (Darcet et al. 2024): learned tokens after the cls token, without position embedding; 0 for none. */
    public final int registers;
    /** The initial LayerScale of every block's two branches (DINOv2: 1e-5); 0 for none. */
    public final float layerScale;
    /** Whether the backbone has DINOv2's learned mask token (the iBOT objective replaces masked patch tokens by it). */
    public final boolean maskToken;

    public VitConfig(int embedDim, int depth, int heads, int patchSize, int imageSize, float mlpRatio, float dropPathRate) {
        this(embedDim, depth, heads, patchSize, imageSize, mlpRatio, dropPathRate, Stem.PATCH);
    }

    public VitConfig(int embedDim, int depth, int heads, int patchSize, int imageSize, float mlpRatio, float dropPathRate, Stem stem) {
        this(embedDim, depth, heads, patchSize, imageSize, mlpRatio, dropPathRate, stem, 1);
    }

    public VitConfig(int embedDim, int depth, int heads, int patchSize, int imageSize, float mlpRatio, float dropPathRate, Stem stem,
                     int stemDepth) {
        this(embedDim, depth, heads, patchSize, imageSize, mlpRatio, dropPathRate, stem, stemDepth, 0, 0f, false);
    }

    private VitConfig(int embedDim, int depth, int heads, int patchSize, int imageSize, float mlpRatio, float dropPathRate, Stem stem,
                      int stemDepth, int registers, float layerScale, boolean maskToken) {
        if (registers < 0) throw new IllegalArgumentException("vit: --registers must be >= 0, got " + registers);
        if (!(layerScale >= 0) || Float.isInfinite(layerScale)) throw new IllegalArgumentException("vit: --layer-scale must be >= 0 (0: none) and finite, got " + layerScale);
        this.registers = registers;
        this.layerScale = layerScale;
        this.maskToken = maskToken;
        if (embedDim <= 0 || depth <= 0 || heads <= 0 || patchSize <= 0 || imageSize <= 0) {
            throw new IllegalArgumentException("vit: width, depth, heads, patch and image size must be positive, got width " + embedDim
                    + ", depth " + depth + ", heads " + heads + ", patch " + patchSize + ", image " + imageSize);
        }
        if (embedDim % heads != 0) throw new IllegalArgumentException("vit: width " + embedDim + " is not divisible by " + heads + " heads");
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException("vit: image size " + imageSize + " is not a multiple of the patch size " + patchSize);
        }
        if (!(dropPathRate >= 0 && dropPathRate < 1)) throw new IllegalArgumentException("vit: drop-path rate must be in [0, 1), got " + dropPathRate);
        this.embedDim = embedDim;
        this.depth = depth;
        this.heads = heads;
        this.patchSize = patchSize;
        this.imageSize = imageSize;
        this.mlpRatio = mlpRatio;
        this.dropPathRate = dropPathRate;
        this.stem = stem;
        this.stemDepth = stemDepth;
        if (stemDepth < 1) throw new IllegalArgumentException("vit: --stem-depth (convolutions per stem stage) must be >= 1, got " + stemDepth);
        if (stemDepth > 1 && stem == Stem.PATCH) {
            throw new IllegalArgumentException("vit: --stem-depth " + stemDepth + " needs a convolutional stem (--stem conv or conv-ln); the patch stem has one layer");
        }
        if (stem != Stem.PATCH) {
            ConvStem.layerCount(patchSize);
            if (embedDim % (patchSize / 2) != 0) {
                throw new IllegalArgumentException("vit: a conv stem at patch " + patchSize + " needs a width divisible by " + patchSize / 2 + ", got " + embedDim);
            }
        }
    }

    /** vit_tiny, vit_small or vit_base at the given patch and image size. */
    public static VitConfig preset(String name, int patchSize, int imageSize) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "vit_tiny": return new VitConfig(192, 12, 3, patchSize, imageSize, 4f, 0f);
            case "vit_small": return new VitConfig(384, 12, 6, patchSize, imageSize, 4f, 0f);
            case "vit_base": return new VitConfig(768, 12, 12, patchSize, imageSize, 4f, 0f);
            default: throw new IllegalArgumentException("unknown architecture '" + name + "': expected vit_tiny, vit_small, vit_base or custom");
        }
    }

    public VitConfig withDropPath(float rate) {
        return new VitConfig(embedDim, depth, heads, patchSize, imageSize, mlpRatio, rate, stem, stemDepth, registers, layerScale, maskToken);
    }

    public VitConfig withStem(Stem s) {
        return new VitConfig(embedDim, depth, heads, patchSize, imageSize, mlpRatio, dropPathRate, s, s == Stem.PATCH ? 1 : stemDepth, registers,
                layerScale, maskToken);
    }

    /** A conv stem with this many 3x3 convolutions per stage (see {@link #stemDepth}). */
    public VitConfig withStemDepth(int convsPerStage) {
        return new VitConfig(embedDim, depth, heads, patchSize, imageSize, mlpRatio, dropPathRate, stem, convsPerStage, registers, layerScale, maskToken);
    }

    /** With n register tokens (DINOv2 with registers: 4). */
    public VitConfig withRegisters(int n) {
        return new VitConfig(embedDim, depth, heads, patchSize, imageSize, mlpRatio, dropPathRate, stem, stemDepth, n, layerScale, maskToken);
    }

    /** With LayerScale on every branch, initialised to init (DINOv2: 1e-5); 0 for none. */
    public VitConfig withLayerScale(float init) {
        return new VitConfig(embedDim, depth, heads, patchSize, imageSize, mlpRatio, dropPathRate, stem, stemDepth, registers, init, maskToken);
    }

    /** With (or without) DINOv2's mask token. */
    public VitConfig withMaskToken(boolean on) {
        return new VitConfig(embedDim, depth, heads, patchSize, imageSize, mlpRatio, dropPathRate, stem, stemDepth, registers, layerScale, on);
    }

    public int gridSize() {
        return imageSize / patchSize;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "ViT(width %d, depth %d, heads %d, patch %d, image %d, mlp %.1f, drop-path %.2f%s)",
                embedDim, depth, heads, patchSize, imageSize, mlpRatio, dropPathRate,
                stem == Stem.PATCH ? "" : ", stem " + stem.option + (stemDepth > 1 ? " x" + stemDepth + " per stage" : ""))
                .replaceFirst("\\)$", (registers > 0 ? ", " + registers + " registers" : "") + (layerScale > 0 ? String.format(Locale.ROOT, ", layer scale %.0e", layerScale) : "") + ")");
    }
}
