package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;

/**
 * A pre-norm transformer block: x + drop_path(attn(norm1(x))), then x + drop_path(mlp(norm2(x))).
 * Names (norm1, attn, norm2, mlp) follow the ViT/DINO reference.
 */
public final class TransformerBlock extends Module {
    private final LayerNorm norm1, norm2;
    private final MultiHeadAttention attn;
    private final DropPath dropPath;
    private final Mlp mlp;

    public TransformerBlock(int dim, int heads, float mlpRatio, boolean qkvBias, float drop, float attnDrop, float dropPath,
                            float normEps, Generator g) {
        this.norm1 = registerModule("norm1", new LayerNorm(dim, normEps));
        this.attn = registerModule("attn", new MultiHeadAttention(dim, heads, qkvBias, attnDrop, drop, g));
        this.dropPath = registerModule("drop_path", new DropPath(dropPath));
        this.norm2 = registerModule("norm2", new LayerNorm(dim, normEps));
        this.mlp = registerModule("mlp", new Mlp(dim, (int) (dim * mlpRatio), dim, drop, g));
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
        Variable y = x.add(dropPath.forward(a.output()));
        y = y.add(dropPath.forward(mlp.forward(norm2.forward(y))));
        return new MultiHeadAttention.Output(y, a::attention);
    }
}
