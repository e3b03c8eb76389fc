package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;

import java.util.function.Supplier;

/**
 * Multi-head self-attention with one packed projection: qkv = x W_qkv^T + b, split into heads of
 * size d = dim/heads, softmax(q k^T / sqrt d) v, then the output projection. Parameter names (qkv,
 * proj) follow the ViT/DINO reference. The attention probabilities can be returned for attention maps.
 */
public final class MultiHeadAttention extends Module {
    private final int dim, heads, headDim;
    private final float scale;
    private final Linear qkv, proj;
    private final Dropout attnDrop, projDrop;
    private final float attnDropP;

    public MultiHeadAttention(int dim, int heads, boolean qkvBias, float attnDropP, float projDropP, Generator g) {
        if (heads <= 0 || dim % heads != 0) {
            throw new IllegalArgumentException("MultiHeadAttention: dim " + dim + " is not divisible by " + heads + " heads");
        }
        this.dim = dim;
        this.heads = heads;
        this.headDim = dim / heads;
        this.scale = (float) Math.pow(headDim, -0.5);
        this.attnDropP = attnDropP;
        this.qkv = registerModule("qkv", new Linear(dim, 3 * dim, qkvBias, g));
        this.attnDrop = registerModule("attn_drop", new Dropout(attnDropP));
        this.proj = registerModule("proj", new Linear(dim, dim, true, g));
        this.projDrop = registerModule("proj_drop", new Dropout(projDropP));
    }

    public int heads() {
        return heads;
    }

    /**
     * The output and the attention probabilities [B, heads, N, N] (detached). Where a fused kernel
     * computed the output, the probabilities were never stored: they are recomputed on the first call
     * of {@link #attention()} (only attention maps ask for them).
     */
    public static final class Output {
        private final Variable output;
        private Supplier<Tensor> attention;
        private Tensor computed;

        Output(Variable output, Supplier<Tensor> attention) {
            this.output = output;
            this.attention = attention;
        }

        public Variable output() {
            return output;
        }

        public Tensor attention() {
            if (computed == null) {
                computed = attention.get();
                attention = null;
            }
            return computed;
        }
    }

    @Override
    public Variable forward(Variable x) {
        return forwardWithAttention(x).output();
    }

    /** x: [B, N, dim]. */
    public Output forwardWithAttention(Variable x) {
        if (x.rank() != 3 || x.size(2) != dim) {
            throw new IllegalArgumentException("MultiHeadAttention(dim " + dim + "): input must be [B, N, " + dim + "], got " + x.shape());
        }
        // dropout on the probabilities happens inside the attention op (attn_drop keeps the reference's module layout)
        boolean dropping = attnDrop.isTraining() && attnDropP > 0f;
        Variable.Attended r = qkv.forward(x).attention(heads, scale, dropping ? attnDropP : 0f, dropping ? generator() : null);
        return new Output(projDrop.forward(proj.forward(r.output())), r.probabilities());
    }
}
