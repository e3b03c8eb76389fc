package dev.dinoj.dino.lineage;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

/**
 * Instance discrimination's non-parametric softmax (Wu et al. 2018, eq. 2): each image is its own class,
 * represented by its entry in a memory bank [N, D] of past features; the feature v of image i should
 * pick entry i: loss = mean over the batch of -log(exp(v . m_i / t) / sum_j exp(v . m_j / t)), t 0.07.
 * (The paper approximates the sum by noise-contrastive estimation for ImageNet's 1.28 M images; this is
 * the exact softmax it approximates, affordable for banks of tens of thousands.)
 */
public final class InstDiscLoss {
    public static final float DEFAULT_TEMPERATURE = 0.07f;

    private InstDiscLoss() {}

    /** v [B, D] normalised features, bank [N, D], indices [B] each row's image (its class). */
    public static Variable of(Variable v, Tensor bank, int[] indices, float temperature) {
        if (v.rank() != 2 || bank.rank() != 2 || bank.size(1) != v.size(1) || indices.length != v.size(0)) {
            throw new IllegalArgumentException("InstDisc: features [B, D], a bank [N, D] and B indices, got " + v.shape() + ", " + bank.shape()
                    + " and " + indices.length + " indices");
        }
        if (!(temperature > 0)) throw new IllegalArgumentException("InstDisc: temperature must be positive, got " + temperature);
        int b = v.size(0), n = bank.size(0);
        float[] pick = new float[b * n];
        for (int i = 0; i < b; i++) {
            if (indices[i] < 0 || indices[i] >= n) throw new IllegalArgumentException("InstDisc: index " + indices[i] + " is outside the bank of " + n);
            pick[i * n + indices[i]] = 1f;
        }
        Variable logp = v.matmul(Variable.constant(bank.transpose(0, 1))).logSoftmax(temperature);
        return logp.mul(Variable.constant(Tensor.fromArray(pick, b, n).to(bank.device()))).sum().div(-(float) b);
    }
}
