package dev.dinoj.dino.lineage;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

/**
 * SimCLR's normalised temperature-scaled cross-entropy (Chen et al. 2020): the 2N projections of two
 * views of N images are L2-normalised; each one's positive is the other view of its image, its negatives
 * the other 2N - 2; loss = mean over the 2N of -log(exp(s_ip / t) / sum_{k != i} exp(s_ik / t)), s the
 * cosine similarity. Both views receive gradients (no stop-gradient, no momentum encoder).
 */
public final class NtXentLoss {
    private NtXentLoss() {}

    /** z1, z2 [N, D] the projections of the two views; temperature t > 0. */
    public static Variable of(Variable z1, Variable z2, float temperature) {
        Losses.requirePairs("NT-Xent", z1, z2);
        if (!(temperature > 0)) throw new IllegalArgumentException("NT-Xent: temperature must be positive, got " + temperature);
        int n = z1.size(0);
        if (n < 2) throw new IllegalArgumentException("NT-Xent: needs at least 2 images for a negative, got " + n);
        Variable z = Variable.cat(0, z1, z2).normalize(-1, 1e-12f);
        // an image never competes with itself: its own similarity is pushed to -1e9 before the softmax
        float[] self = new float[4 * n * n], positive = new float[4 * n * n];
        for (int i = 0; i < 2 * n; i++) {
            self[i * 2 * n + i] = -1e9f;
            positive[i * 2 * n + (i + n) % (2 * n)] = 1f;
        }
        Tensor selfMask = Tensor.fromArray(self, 2 * n, 2 * n).to(z.data().device());
        Tensor positives = Tensor.fromArray(positive, 2 * n, 2 * n).to(z.data().device());
        Variable logp = z.matmul(z.transpose(0, 1)).add(Variable.constant(selfMask)).logSoftmax(temperature);
        return logp.mul(Variable.constant(positives)).sum().div(-2f * n);
    }
}
