package dev.dinoj.cuda;

import dev.dinoj.tensor.Attention;
import dev.dinoj.tensor.ReferenceAttention;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;

/**
 * {@link Attention} on the kernels of attention.cu: head dims 32, 64 and 128 without dropout run
 * fused (q, k, v copied once into contiguous [BH, N, d]; the forward keeps O and the row log-sum-exp,
 * the backward recomputes the probabilities tile by tile); anything else is the reference's.
 */
final class CudaAttention implements Attention {
    private final CudaKernels kernels;

    CudaAttention(CudaKernels kernels) {
        this.kernels = kernels;
    }

    /** Whether the fused kernels take these arguments. */
    static boolean fused(Args a) {
        int d = a.headDim();
        return a.dropout() == 0 && (d == 32 || d == 64 || d == 128);
    }

    private record Kept(Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Shape shape) implements Saved {}

    private static Tensor packed(Tensor t) {
        int n = t.size(-2), d = t.size(-1);
        return t.reshape((int) (t.numel() / ((long) n * d)), n, d).contiguous();
    }

    @Override
    public Forward forward(Args a) {
        if (!fused(a)) return ReferenceAttention.INSTANCE.forward(a);
        Tensor q = packed(a.q()), k = packed(a.k()), v = packed(a.v());
        CudaKernels.Attention r = kernels.attention(q, k, v, a.scale(), false);
        return new Forward(r.output().view(a.q().dims()), new Kept(q, k, v, r.output(), r.logSumExp(), a.q().shape()));
    }

    @Override
    public Grads backward(Args a, Forward f, Tensor gradOut) {
        if (!(f.saved() instanceof Kept)) return ReferenceAttention.INSTANCE.backward(a, f, gradOut);
        Kept s = (Kept) f.saved();
        CudaKernels.AttentionGrads g = kernels.attentionBackward(s.q, s.k, s.v, s.o, s.lse, packed(gradOut), a.scale());
        int[] dims = s.shape.toArray();
        return new Grads(g.dq().view(dims), g.dk().view(dims), g.dv().view(dims));
    }

    @Override
    public Tensor probabilities(Args a, Forward f) {
        if (!(f.saved() instanceof Kept)) return ReferenceAttention.INSTANCE.probabilities(a, f);
        Kept s = (Kept) f.saved();
        CudaKernels.Attention r = kernels.attention(s.q, s.k, s.v, a.scale(), true);
        r.output().close();
        r.logSumExp().close();
        int[] dims = s.shape.toArray();
        dims[dims.length - 1] = dims[dims.length - 2];
        return r.probabilities().view(dims);
    }
}
