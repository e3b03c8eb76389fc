package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.DType;
import dev.dinoj.tensor.FusedAttention;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;

/**
 * Multi-head scaled-dot-product attention as one differentiable op on the packed projection
 * qkv [B, N, 3D] (q, k, v each split into H heads of d = D/H): O = softmax(q k^T * scale) v,
 * returned as [B, N, D] with the heads concatenated. Its backward computes dq, dk, dv from the saved
 * probabilities P (dV = P^T dO, dS = softmax'(P, dO V^T), dQ = dS K, dK = dS^T Q) and writes them
 * straight into one [B, N, 3D] gradient, instead of the three zero-filled full-size gradients that
 * slicing q, k, v out of qkv in autograd would produce. Where the device offers
 * {@link FusedAttention} (CUDA), the fused kernels replace the composition.
 */
final class PackedAttention {
    private PackedAttention() {}

    /**
     * The heads' output [B, N, D] (before the output projection) and the probabilities [B, H, N, N],
     * through the device's fused kernels where it has them for this head size.
     */
    static MultiHeadAttention.Output apply(Variable qkv, int heads, float scale) {
        FusedAttention fused = qkv.data().device().backend().fusedAttention();
        int hd = qkv.size(2) / 3 / heads;
        if (fused != null && fused.supports(hd)) return applyFused(qkv, heads, scale, fused);
        return applyComposed(qkv, heads, scale);
    }

    /**
     * The fused path: q, k, v copied out of the packed projection as [B*H, N, d]; the forward keeps
     * only O and the row log-sum-exp, the backward recomputes the probabilities tile by tile.
     */
    static MultiHeadAttention.Output applyFused(Variable qkv, int heads, float scale, FusedAttention fused) {
        Tensor t = qkv.data();
        int b = t.size(0), n = t.size(1), d3 = t.size(2), dim = d3 / 3, hd = dim / heads;
        Tensor packed = t.view(b, n, 3, heads, hd).permute(2, 0, 3, 1, 4); // [3, B, H, N, d], a view
        Tensor q = packed.select(0, 0).reshape(b * heads, n, hd).contiguous(), k = packed.select(0, 1).reshape(b * heads, n, hd).contiguous(),
                v = packed.select(0, 2).reshape(b * heads, n, hd).contiguous();
        Tensor[] fwd = fused.forward(q, k, v, scale);
        Tensor o = fwd[0], lse = fwd[1];
        Tensor out = o.view(b, heads, n, hd).transpose(1, 2).reshape(b, n, dim);
        Variable result = Variable.fromOp("attention", out, g -> {
            Tensor go = g.reshape(b, n, heads, hd).permute(0, 2, 1, 3).reshape(b * heads, n, hd).contiguous();
            Tensor[] d = fused.backward(q, k, v, o, lse, go, scale);
            return new Tensor[] {packGradient(d[0], d[1], d[2], b, n, heads, hd)};
        }, qkv);
        return new MultiHeadAttention.Output(result, () -> fused.probabilities(q, k, v, scale).view(b, heads, n, n));
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

    static MultiHeadAttention.Output applyComposed(Variable qkv, int heads, float scale) {
        Tensor t = qkv.data();
        int b = t.size(0), n = t.size(1), d3 = t.size(2), dim = d3 / 3, hd = dim / heads;
        Tensor packed = t.view(b, n, 3, heads, hd).permute(2, 0, 3, 1, 4); // [3, B, H, N, d], a view
        Tensor q = packed.select(0, 0), k = packed.select(0, 1), v = packed.select(0, 2);
        float temperature = 1f / scale;
        Tensor p = q.matmul(k.transpose(-2, -1)).softmax(temperature);
        Tensor o = p.matmul(v);                                             // [B, H, N, d]
        Tensor out = o.transpose(1, 2).reshape(b, n, dim);
        Variable result = Variable.fromOp("attention", out, g -> {
            Tensor go = g.view(b, n, heads, hd).permute(0, 2, 1, 3);        // [B, H, N, d], a view
            Tensor gv = p.transpose(-2, -1).matmul(go);
            Tensor gs = p.softmaxBackward(go.matmul(v.transpose(-2, -1)), temperature, false);
            Tensor gq = gs.matmul(k), gk = gs.transpose(-2, -1).matmul(q);
            return new Tensor[] {packGradient(gq, gk, gv, b, n, heads, hd)};
        }, qkv);
        return new MultiHeadAttention.Output(result, p);
    }
}
