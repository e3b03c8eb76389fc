package dev.dinoj.tensor;

/**
 * A backend's fused scaled-dot-product attention (FlashAttention-style: no N x N matrix in memory),
 * offered through {@link Backend#fusedAttention()} where the device has one; layers use it when
 * present and compose matmul + softmax otherwise. All tensors are contiguous float32 on the backend's
 * device; q, k, v, o and their gradients are [BH, N, d] (batch and heads flattened), lse is [BH, N].
 */
public interface FusedAttention {
    /** Whether the kernels handle head dimension d. */
    boolean supports(int headDim);

    /** {o = softmax(q k^T * scale) v, lse = the row log-sum-exp of q k^T * scale}. */
    Tensor[] forward(Tensor q, Tensor k, Tensor v, float scale);

    /** {dq, dk, dv} from the forward's inputs, its o and lse, and the gradient of o. */
    Tensor[] backward(Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor gradOut, float scale);

    /** The probabilities softmax(q k^T * scale), [BH, N, N] (for attention maps; recomputed). */
    Tensor probabilities(Tensor q, Tensor k, Tensor v, float scale);
}
