package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Attention;
import dev.dinoj.tensor.DType;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;

/**
 * Multi-head scaled-dot-product attention as one differentiable op on the packed projection
 * qkv [B, N, 3D] (q, k, v each split into H heads of d = D/H): O = dropout(softmax(q k^T * scale)) v,
 * returned as [B, N, D] with the heads concatenated, through the device's {@link Attention} (fused
 * kernels on CUDA, the reference composition on the CPU). Its backward writes dq, dk, dv straight into
 * one [B, N, 3D] gradient, instead of the three zero-filled full-size gradients that slicing q, k, v
 * out of qkv in autograd would produce.
 */
final class PackedAttention {
    private PackedAttention() {}

    /**
     * The heads' output [B, N, D] (before the output projection) and the probabilities [B, H, N, N];
     * dropout {@code p} on the probabilities (0: none) draws from {@code g}.
     */
    static MultiHeadAttention.Output apply(Variable qkv, int heads, float scale, float dropout, Generator g) {
        Tensor t = qkv.data();
        int b = t.size(0), n = t.size(1), dim = t.size(2) / 3, hd = dim / heads;
        Tensor packed = t.view(b, n, 3, heads, hd).permute(2, 0, 3, 1, 4); // [3, B, H, N, d], a view
        Attention attention = t.device().backend().attention();
        Attention.Args args = new Attention.Args(packed.select(0, 0), packed.select(0, 1), packed.select(0, 2), scale, dropout, g);
        Attention.Forward forward = attention.forward(args);
        Tensor out = forward.output().transpose(1, 2).reshape(b, n, dim);
        Variable result = Variable.fromOp("attention", out, grad -> {
            Tensor go = grad.view(b, n, heads, hd).permute(0, 2, 1, 3); // [B, H, N, d], a view
            Attention.Grads d = attention.backward(args, forward, go);
            return new Tensor[] {packGradient(d.dq(), d.dk(), d.dv(), b, n, heads, hd)};
        }, qkv);
        return new MultiHeadAttention.Output(result, () -> attention.probabilities(args, forward));
    }

    /** dq, dk, dv [B, H, N, d] (any layout) written into one [B, N, 3D] gradient of the packed projection. */
    private static Tensor packGradient(Tensor gq, Tensor gk, Tensor gv, int b, int n, int heads, int hd) {
        Tensor grad = Tensor.empty(Shape.of(b, n, 3, heads, hd), DType.FLOAT32, gq.device());
        Tensor gp = grad.permute(2, 0, 3, 1, 4);
        gp.select(0, 0).copyFrom(gq.reshape(b, heads, n, hd));
        gp.select(0, 1).copyFrom(gk.reshape(b, heads, n, hd));
        gp.select(0, 2).copyFrom(gv.reshape(b, heads, n, hd));
        return grad.view(b, n, 3 * heads * hd);
    }
}
