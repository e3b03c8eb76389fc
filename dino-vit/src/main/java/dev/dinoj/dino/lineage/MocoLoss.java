package dev.dinoj.dino.lineage;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

/**
 * MoCo's InfoNCE: queries q from the encoder against keys k from its momentum copy (no gradient), both
 * L2-normalised, cross-entropy of the softmax over similarities / t with the query's own key as the class.
 * v2 (He et al. 2020, Chen et al. 2020): the negatives are a queue of past keys [K, D];
 * v3 (Chen, Xie, He 2021): the other images' keys of the batch, and the loss scaled by 2t as its code does.
 */
public final class MocoLoss {
    private MocoLoss() {}

    /** v2: -mean log(exp(q.k / t) / (exp(q.k / t) + sum_j exp(q.queue_j / t))); the queue [K, D] holds normalised keys. */
    public static Variable withQueue(Variable q, Tensor k, Tensor queue, float temperature) {
        Losses.requirePairs("MoCo", q, Variable.constant(k));
        check(temperature);
        if (queue.rank() != 2 || queue.size(1) != q.size(1)) {
            throw new IllegalArgumentException("MoCo: the queue must be [K, " + q.size(1) + "], got " + queue.shape());
        }
        Variable qn = q.normalize(-1, 1e-12f);
        Variable positive = Losses.cosine(qn, Variable.constant(k)).unsqueeze(1); // [N, 1]
        Variable negatives = qn.matmul(Variable.constant(queue.transpose(0, 1))); // [N, K]
        Variable logp = Variable.cat(1, positive, negatives).logSoftmax(temperature);
        return logp.narrow(1, 0, 1).mean().neg();
    }

    /** v3: 2t x the mean cross-entropy of the in-batch logits q k^T / t [N, N], the diagonal the classes. */
    public static Variable inBatch(Variable q, Tensor k, float temperature) {
        Losses.requirePairs("MoCo v3", q, Variable.constant(k));
        check(temperature);
        int n = q.size(0);
        Variable logits = q.normalize(-1, 1e-12f).matmul(Variable.constant(k.normalize(1, 1e-12f).transpose(0, 1)));
        Tensor eye = Tensor.eye(n, q.data().device());
        return logits.logSoftmax(temperature).mul(Variable.constant(eye)).sum().mul(-2f * temperature / n);
    }

    private static void check(float temperature) {
        if (!(temperature > 0)) throw new IllegalArgumentException("MoCo: temperature must be positive, got " + temperature);
    }
}
