package dev.dinoj.dino.lineage;

import dev.dinoj.autograd.Variable;
import dev.dinoj.dino.DinoLoss;
import dev.dinoj.tensor.Tensor;

/**
 * SwAV's swapped prediction (Caron et al. 2020): the scores of every crop against the prototypes
 * (cosine similarities of normalised features and normalised prototypes, [crops * B, K], crop-major);
 * each of the two global crops gets codes q by Sinkhorn-Knopp on its own scores (no gradient; exp(s / eps),
 * 3 iterations, equal mass per prototype, as the reference), and every other crop predicts them:
 * loss = mean over the 2 global crops of the mean over the other crops v of
 * -mean_b sum_k q_bk log softmax(s_v / t)_bk (t 0.1, eps 0.05 by default). With a queue (the reference's
 * for small batches), each global crop's codes come from Sinkhorn-Knopp over the scores of its queue of
 * past features followed by the batch's, and are the batch's rows of the result: the equal mass per
 * prototype is then spread over many more samples than one small batch.
 */
public final class SwavLoss {
    public static final float DEFAULT_TEMPERATURE = 0.1f, DEFAULT_EPSILON = 0.05f;
    public static final int SINKHORN_ITERATIONS = 3;

    private SwavLoss() {}

    public static Variable of(Variable scores, int crops, float temperature, float epsilon) {
        return of(scores, crops, temperature, epsilon, null);
    }

    /** queueScores: null, or for each of the 2 global crops the scores [L, K] of its queue of past features (no gradient). */
    public static Variable of(Variable scores, int crops, float temperature, float epsilon, java.util.List<Tensor> queueScores) {
        if (crops < 2 || scores.rank() != 2 || scores.size(0) % crops != 0 || scores.size(0) == 0) {
            throw new IllegalArgumentException("SwAV: scores must be [" + crops + " * B, K] (crops >= 2), got " + scores.shape());
        }
        if (!(temperature > 0) || !(epsilon > 0)) {
            throw new IllegalArgumentException("SwAV: temperature and epsilon must be positive, got " + temperature + " and " + epsilon);
        }
        if (queueScores != null && (queueScores.size() != 2 || queueScores.stream().anyMatch(q -> q.rank() != 2 || q.size(1) != scores.size(1)))) {
            throw new IllegalArgumentException("SwAV: the queue's scores must be 2 tensors [L, " + scores.size(1) + "], one per global crop");
        }
        int b = scores.size(0) / crops;
        Variable logp = scores.logSoftmax(temperature); // [crops * B, K]
        Variable total = null;
        for (int t = 0; t < 2; t++) {
            Tensor own = scores.data().narrow(0, t * b, b), q;
            if (queueScores == null) {
                q = DinoLoss.sinkhornKnopp(own, epsilon, SINKHORN_ITERATIONS);
            } else {
                Tensor past = queueScores.get(t);
                q = DinoLoss.sinkhornKnopp(Tensor.cat(0, past, own), epsilon, SINKHORN_ITERATIONS).narrow(0, past.size(0), b);
            }
            Variable sub = null;
            for (int v = 0; v < crops; v++) {
                if (v == t) continue;
                Variable ce = logp.narrow(0, v * b, b).mul(Variable.constant(q)).sum().div(-(float) b);
                sub = sub == null ? ce : sub.add(ce);
            }
            sub = sub.div((float) (crops - 1));
            total = total == null ? sub : total.add(sub);
        }
        return total.div(2f);
    }
}
