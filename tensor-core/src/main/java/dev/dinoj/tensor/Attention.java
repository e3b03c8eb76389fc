package dev.dinoj.tensor;

/**
 * Scaled-dot-product attention as one op: O = dropout(softmax(q k^T * scale)) v over the last two
 * dimensions of q, k, v [..., N, d]. Every backend has one ({@link Backend#attention()}):
 * {@link ReferenceAttention}, composed of matmul and softmax, is the CPU's, the fallback of the others
 * for what their kernels do not cover, and the oracle their kernels are tested against; CUDA's runs
 * the fused kernels (no N x N matrix in memory) where they apply. Each implementation checks its own
 * preconditions (head dims, contiguity) and falls back to the reference itself, so callers never do.
 */
public interface Attention {
    /**
     * The inputs: q, k, v of one shape [..., N, d] (any strides), float32, on one device; the scale
     * (usually d^-1/2); dropout on the probabilities (0 outside training) with the generator it draws from.
     */
    record Args(Tensor q, Tensor k, Tensor v, float scale, float dropout, Generator generator) {
        public Args {
            if (q.rank() < 3) throw new IllegalArgumentException("attention: q must be [..., N, d], got " + q.shape());
            if (!q.shape().equals(k.shape()) || !q.shape().equals(v.shape())) {
                throw new IllegalArgumentException("attention: q, k and v must have the same shape, got " + q.shape() + ", " + k.shape() + ", " + v.shape());
            }
            if (!q.device().equals(k.device()) || !q.device().equals(v.device())) {
                throw new IllegalArgumentException("attention: q, k and v must be on one device, got " + q.device() + ", " + k.device() + ", " + v.device());
            }
            if (q.dtype() != DType.FLOAT32 || k.dtype() != DType.FLOAT32 || v.dtype() != DType.FLOAT32) {
                throw new IllegalArgumentException("attention: q, k and v must be float32");
            }
            if (!(scale > 0) || Float.isInfinite(scale)) throw new IllegalArgumentException("attention: scale must be positive and finite, got " + scale);
            if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("attention: dropout must be in [0, 1), got " + dropout);
            if (dropout > 0 && generator == null) throw new IllegalArgumentException("attention: dropout " + dropout + " needs a generator");
        }

        /** Without dropout. */
        public Args(Tensor q, Tensor k, Tensor v, float scale) {
            this(q, k, v, scale, 0f, null);
        }

        public int tokens() {
            return q.size(-2);
        }

        public int headDim() {
            return q.size(-1);
        }
    }

    /** What a forward keeps for its backward; each implementation has its own. */
    interface Saved {}

    /** The output [..., N, d] and what the backward needs. */
    record Forward(Tensor output, Saved saved) {}

    /** The gradients of q, k and v, in their shape. */
    record Grads(Tensor dq, Tensor dk, Tensor dv) {}

    Forward forward(Args args);

    /** The gradients from the forward's result and the gradient of its output (shape [..., N, d], any strides). */
    Grads backward(Args args, Forward forward, Tensor gradOut);

    /** The probabilities softmax(q k^T * scale), [..., N, N], before dropout (for attention maps). */
    Tensor probabilities(Args args, Forward forward);
}
