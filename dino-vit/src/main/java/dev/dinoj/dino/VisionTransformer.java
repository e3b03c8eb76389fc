package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.Init;
import dev.dinoj.nn.LayerNorm;
import dev.dinoj.nn.Linear;
import dev.dinoj.nn.Module;
import dev.dinoj.nn.MultiHeadAttention;
import dev.dinoj.nn.TransformerBlock;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The DINO Vision Transformer backbone: patch embedding (or a {@link ConvStem}, {@link VitConfig.Stem}), cls token, learned position embedding
 * (bicubically interpolated for other image sizes, as the reference's interpolate_pos_encoding),
 * pre-norm blocks with drop-path rising linearly with depth, a final LayerNorm; the output is the cls
 * token. Parameter names are the reference's (cls_token, pos_embed, patch_embed.proj.weight,
 * blocks.0.attn.qkv.weight, norm.weight, ...), and so is the initialisation.
 *
 * <p>DINOv2's additions, where the config asks for them: register tokens (register_tokens [1, R, D],
 * inserted after the cls token once the position embedding is added, so they have none), LayerScale on
 * every residual branch (blocks.N.ls1.gamma, ls2.gamma), and the mask token (mask_token [1, D]) that
 * replaces masked patch tokens. The token sequence is [cls, registers, patches].
 */
public final class VisionTransformer extends Backbone {
    private static final float NORM_EPS = 1e-6f;

    private final VitConfig config;
    private final Module patchEmbed;
    private final Variable clsToken, posEmbed, registerTokens, maskToken;
    private final List<TransformerBlock> blocks = new ArrayList<>();
    private final LayerNorm norm;

    public VisionTransformer(VitConfig c, Generator g) {
        this.config = c;
        int d = c.embedDim, n = c.gridSize() * c.gridSize();
        patchEmbed = registerModule("patch_embed", c.stem == VitConfig.Stem.PATCH ? new PatchEmbed(3, d, c.patchSize, g)
                : new ConvStem(3, d, c.patchSize, c.stemDepth, c.stem == VitConfig.Stem.CONV, g));
        clsToken = registerParameter("cls_token", Init.truncNormal(Tensor.empty(1, 1, d), 0.02f, g));
        posEmbed = registerParameter("pos_embed", Init.truncNormal(Tensor.empty(1, n + 1, d), 0.02f, g));
        // DINOv2: registers start at N(0, 1e-6), the mask token at zero (no generator draws without them, so other configs keep their weights)
        registerTokens = c.registers > 0 ? registerParameter("register_tokens", Tensor.randn(g, 1, c.registers, d).mul(1e-6f)) : null;
        maskToken = c.maskToken ? registerParameter("mask_token", Tensor.zeros(1, d)) : null;
        BlockList list = registerModule("blocks", new BlockList());
        for (int i = 0; i < c.depth; i++) {
            float dpr = c.depth == 1 ? 0f : c.dropPathRate * i / (c.depth - 1); // torch.linspace(0, rate, depth)
            TransformerBlock b = new TransformerBlock(d, c.heads, c.mlpRatio, true, 0f, 0f, dpr, NORM_EPS, c.layerScale, g);
            list.add(b);
            blocks.add(b);
        }
        norm = registerModule("norm", new LayerNorm(d, NORM_EPS));
        // the reference's _init_weights: every Linear gets trunc_normal(0.02) weights and zero biases
        for (TransformerBlock b : blocks) initLinears(b, g);
    }

    static void initLinears(Module m, Generator g) {
        if (m instanceof Linear) {
            Linear l = (Linear) m;
            Init.truncNormal(l.weight().data(), 0.02f, g);
            if (l.bias() != null) l.bias().data().fill(0f);
        }
        for (Module child : m.children().values()) initLinears(child, g);
    }

    /** Holds the blocks under the names "0", "1", ... (the reference's nn.ModuleList). */
    static final class BlockList extends Module {
        private int size;

        void add(Module m) {
            registerModule(Integer.toString(size++), m);
        }
    }

    public VitConfig config() {
        return config;
    }

    @Override
    public int embedDim() {
        return config.embedDim;
    }

    @Override
    public int imageSize() {
        return config.imageSize;
    }

    /** The head count (the weights give everything else). */
    @Override
    public java.util.Map<String, String> describe() {
        return java.util.Map.of("num_heads", Integer.toString(config.heads));
    }

    /**
     * Replaces the learned position embedding's initial values by the fixed 2-D sine-cosine embedding
     * of MoCo v3 and MAE (half the channels encode the row, half the column, each as sin and cos at
     * geometrically spaced frequencies; the cls position is zero), and stops training it when {@code
     * frozen}. Its values are of the order of the patch embeddings', so from the first step a token
     * says where it is; the reference's trunc-normal(0.02) start is ~50x smaller than the patch
     * embeddings and leaves an untrained cls token a bag of patches.
     */
    public void useSinCosPosEmbed(boolean frozen) {
        int d = config.embedDim, side = config.gridSize();
        if (d % 4 != 0) throw new IllegalArgumentException("sin-cos position embedding needs a width divisible by 4, got " + d);
        int quarter = d / 4;
        float[] pe = new float[(side * side + 1) * d];
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                int o = (1 + y * side + x) * d;
                for (int i = 0; i < quarter; i++) {
                    double omega = 1.0 / Math.pow(10000, (double) i / quarter);
                    pe[o + i] = (float) Math.sin(x * omega);               // width half: sin, then cos
                    pe[o + quarter + i] = (float) Math.cos(x * omega);
                    pe[o + 2 * quarter + i] = (float) Math.sin(y * omega); // height half
                    pe[o + 3 * quarter + i] = (float) Math.cos(y * omega);
                }
            }
        }
        posEmbed.data().copyFrom(Tensor.fromArray(pe, 1, side * side + 1, d));
        posEmbed.requiresGrad(!frozen);
    }

    /** Patch tokens with the cls token prepended, position embeddings added, then the registers: [B, 1 + R + N, D]. */
    public Variable prepareTokens(Variable images) {
        return prepareTokens(images, null);
    }

    /**
     * As {@link #prepareTokens(Variable)}, with the patch tokens where {@code masks} [B, N] is non-zero
     * replaced by the mask token before the position embedding is added (DINOv2's prepare_tokens_with_masks).
     */
    public Variable prepareTokens(Variable images, Tensor masks) {
        if (images.rank() != 4 || images.size(1) != 3) {
            throw new IllegalArgumentException("VisionTransformer: images must be [B, 3, H, W], got " + images.shape());
        }
        int b = images.size(0), h = images.size(2), w = images.size(3);
        Variable x = patchEmbed.forward(images);
        if (masks != null) {
            if (maskToken == null) throw new IllegalArgumentException("VisionTransformer: masks given, but this backbone has no mask token");
            if (masks.rank() != 2 || masks.size(0) != b || masks.size(1) != x.size(1)) {
                throw new IllegalArgumentException("VisionTransformer: masks must be [" + b + ", " + x.size(1) + "] (images x patches), got " + masks.shape());
            }
            x = Variable.where(masks.unsqueeze(2).expand(b, x.size(1), config.embedDim).contiguous(),
                    maskToken.reshape(1, 1, config.embedDim).expand(b, x.size(1), config.embedDim), x);
        }
        x = Variable.cat(1, clsToken.expand(b, 1, config.embedDim), x);
        x = x.add(interpolatePosEncoding(h / config.patchSize, w / config.patchSize));
        if (registerTokens == null) return x;
        return Variable.cat(1, x.narrow(1, 0, 1), registerTokens.expand(b, config.registers, config.embedDim), x.narrow(1, 1, x.size(1) - 1));
    }

    /** Index of the first patch token in the token sequence: after the cls token and the registers. */
    public int firstPatchToken() {
        return 1 + config.registers;
    }

    /**
     * The position embedding for a gridH x gridW patch grid: the stored one when it matches, else its
     * patch part resized bicubically with scale factors ((grid + 0.1) / sqrt N), as the reference does.
     */
    public Variable interpolatePosEncoding(int gridH, int gridW) {
        int n = posEmbed.size(1) - 1, d = config.embedDim;
        if (gridH * gridW == n && gridH == gridW) return posEmbed;
        int side = (int) Math.round(Math.sqrt(n));
        Variable cls = posEmbed.narrow(1, 0, 1);
        Variable grid = posEmbed.narrow(1, 1, n).reshape(1, side, side, d).permute(0, 3, 1, 2);
        double sh = (gridH + 0.1) / side, sw = (gridW + 0.1) / side;
        Variable resized = BicubicOp.resize(grid, gridH, gridW, sh, sw);
        Variable patches = resized.permute(0, 2, 3, 1).reshape(1, gridH * gridW, d);
        return Variable.cat(1, cls, patches);
    }

    /** cls-token features after the final norm: [B, D]. */
    @Override
    public Variable forward(Variable images) {
        Variable x = prepareTokens(images);
        for (TransformerBlock b : blocks) x = b.forward(x);
        return norm.forward(x).select(1, 0);
    }

    /** Every token after the final norm, [B, 1 + R + N, D], with the patches where masks [B, N] is non-zero masked (null: none). */
    public Variable tokens(Variable images, Tensor masks) {
        Variable x = prepareTokens(images, masks);
        for (TransformerBlock b : blocks) x = b.forward(x);
        return norm.forward(x);
    }

    /**
     * The token outputs [B, 1 + R + N, D] of the last {@code n} blocks, earliest first, each through the final
     * norm (the reference's get_intermediate_layers; the linear probe reads their cls tokens).
     */
    public List<Variable> intermediateLayers(Variable images, int n) {
        if (n < 1 || n > blocks.size()) {
            throw new IllegalArgumentException("VisionTransformer: n must be in [1, " + blocks.size() + "] (the depth), got " + n);
        }
        Variable x = prepareTokens(images);
        List<Variable> out = new ArrayList<>(n);
        for (int i = 0; i < blocks.size(); i++) {
            x = blocks.get(i).forward(x);
            if (blocks.size() - i <= n) out.add(norm.forward(x));
        }
        return out;
    }

    /** The last block's attention probabilities [B, heads, T, T], T = 1 + R + N tokens ({@link #firstPatchToken}). */
    public Tensor lastSelfAttention(Variable images) {
        Variable x = prepareTokens(images);
        for (int i = 0; i < blocks.size() - 1; i++) x = blocks.get(i).forward(x);
        MultiHeadAttention.Output out = blocks.get(blocks.size() - 1).forwardWithAttention(x);
        return out.attention();
    }
}
