package dev.dinoj.tensor;

/**
 * {@link Attention} composed of tensor ops: P = softmax(q k^T * scale) (the scale as the softmax's
 * temperature 1/scale), O = (P * mask) v with the dropout mask drawn as {@code Bernoulli(1 - p) / (1 - p)};
 * the backward dV = (P mask)^T dO, dP = (dO V^T) mask, dS = softmax'(P, dP), dQ = dS K, dK = dS^T Q from
 * the saved P. Works on any device and any strides; the CPU's attention, and the reference of the others.
 */
public final class ReferenceAttention implements Attention {
    public static final ReferenceAttention INSTANCE = new ReferenceAttention();

    private ReferenceAttention() {}

    /** P, and the dropout mask (null without dropout). */
    private record Kept(Tensor p, Tensor mask) implements Saved {}

    @Override
    public Forward forward(Args a) {
        Tensor p = a.q().matmul(a.k().transpose(-2, -1)).softmax(1f / a.scale());
        Tensor mask = null, used = p;
        if (a.dropout() > 0) {
            mask = Tensor.random(RandomDistribution.BERNOULLI, 1f - a.dropout(), 0f, p.shape(), a.generator(), p.device()).mul(1f / (1f - a.dropout()));
            used = p.mul(mask);
        }
        return new Forward(used.matmul(a.v()), new Kept(p, mask));
    }

    @Override
    public Grads backward(Args a, Forward f, Tensor gradOut) {
        Kept kept = kept(f);
        Tensor used = kept.mask == null ? kept.p : kept.p.mul(kept.mask);
        Tensor gv = used.transpose(-2, -1).matmul(gradOut);
        Tensor gp = gradOut.matmul(a.v().transpose(-2, -1));
        if (kept.mask != null) gp = gp.mul(kept.mask);
        Tensor gs = kept.p.softmaxBackward(gp, 1f / a.scale(), false);
        return new Grads(gs.matmul(a.k()), gs.transpose(-2, -1).matmul(a.q()), gv);
    }

    @Override
    public Tensor probabilities(Args a, Forward f) {
        return kept(f).p;
    }

    private static Kept kept(Forward f) {
        if (!(f.saved() instanceof Kept)) throw new IllegalArgumentException("attention: this forward was not the reference's");
        return (Kept) f.saved();
    }
}
