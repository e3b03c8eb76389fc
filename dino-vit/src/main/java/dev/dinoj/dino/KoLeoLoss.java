package dev.dinoj.dino;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

/**
 * DINOv2's KoLeo regulariser (Sablayrolles et al. 2019, the Kozachenko-Leonenko entropy estimator):
 * -mean_i log(||x_i - x_nn(i)|| + eps) over L2-normalised features, where nn(i) is the nearest other
 * feature of the batch (found without gradient, as the reference's pairwise_NNs_inner). It pushes each
 * feature away from its nearest neighbour, so the batch spreads over the sphere: a counter to the
 * dimensional collapse of the backbone's cls feature (a few directions holding almost all variance).
 */
public final class KoLeoLoss {
    private static final float EPS = 1e-8f;

    private KoLeoLoss() {}

    /** features [B, D] with B >= 2; returns a scalar. */
    public static Variable of(Variable features) {
        if (features.rank() != 2 || features.size(0) < 2) {
            throw new IllegalArgumentException("KoLeo: features must be [B >= 2, D], got " + features.shape());
        }
        int b = features.size(0);
        Variable x = features.normalize(1, EPS);
        Tensor nearest;
        try (GradMode.Scope off = GradMode.disabled()) {
            float[] diag = new float[b * b];
            for (int i = 0; i < b; i++) diag[i * b + i] = 1f;
            // cosine similarities with the diagonal pushed below -1, so a feature is never its own neighbour
            Tensor sims = x.data().matmul(x.data().transpose(0, 1)).sub(Tensor.fromArray(diag, b, b).to(x.data().device()).mul(3f));
            nearest = sims.argmax(1, false);
        }
        Variable diff = x.sub(x.indexSelect(0, nearest)).add(EPS); // torch's PairwiseDistance adds eps to the difference
        return diff.norm(new int[] {1}, false).add(EPS).log().mean().neg();
    }
}
