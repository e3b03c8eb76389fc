package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;

/**
 * A pre-norm transformer block: x + drop_path(attn(norm1(x))), then x + drop_path(mlp(norm2(x))), each
 * branch scaled by a {@link LayerScale} first when one is given (DINOv2's ls1, ls2). Names (norm1, attn,
 * ls1, norm2, mlp, ls2) follow the ViT/DINO/DINOv2 references.
 */
public final class TransformerBlock extends Module {
    private final LayerNorm norm1, norm2;
    private final MultiHeadAttention attn;
    private final DropPath dropPath;
    private final Mlp mlp;
    private final LayerScale ls1, ls2;

    public TransformerBlock(int dim, int heads, float mlpRatio, boolean qkvBias, float drop, float attnDrop, float dropPath,
                            float normEps, Generator g) {
        this(dim, heads, mlpRatio, qkvBias, drop, attnDrop, dropPath, normEps, 0f, g);
    }

    /** @param layerScale the initial LayerScale of both branches (DINOv2: 1e-5); 0 for none */
    public TransformerBlock(int dim, int heads, float mlpRatio, boolean qkvBias, float drop, float attnDrop, float dropPath,
                            float normEps, float layerScale, Generator g) {
        if (!(layerScale >= 0)) throw new IllegalArgumentException("TransformerBlock: layer scale must be >= 0 (0: none), got " + layerScale);
        this.norm1 = registerModule("norm1", new LayerNorm(dim, normEps));
        this.attn = registerModule("attn", new MultiHeadAttention(dim, heads, qkvBias, attnDrop, drop, g));
        this.ls1 = layerScale > 0 ? registerModule("ls1", new LayerScale(dim, layerScale)) : null;
        this.dropPath = registerModule("drop_path", new DropPath(dropPath));
        this.norm2 = registerModule("norm2", new LayerNorm(dim, normEps));
        this.mlp = registerModule("mlp", new Mlp(dim, (int) (dim * mlpRatio), dim, drop, g));
        this.ls2 = layerScale > 0 ? registerModule("ls2", new LayerScale(dim, layerScale)) : null;
    }

    public MultiHeadAttention attention() {
        return attn;
    }

    @Override
    public Variable forward(Variable x) {
        return forwardWithAttention(x).output();
    }

    /** The block's output, with the attention probabilities of its attention layer. */
    public MultiHeadAttention.Output forwardWithAttention(Variable x) {
        MultiHeadAttention.Output a = attn.forwardWithAttention(norm1.forward(x));
        Variable branch = ls1 == null ? a.output() : ls1.forward(a.output());
        Variable y = x.add(dropPath.forward(branch));
        Variable m = mlp.forward(norm2.forward(y));
        y = y.add(dropPath.forward(ls2 == null ? m : ls2.forward(m)));
        return new MultiHeadAttention.Output(y, a::attention);
    }
}
