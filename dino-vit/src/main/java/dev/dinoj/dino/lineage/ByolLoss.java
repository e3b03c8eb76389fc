package dev.dinoj.dino.lineage;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

/**
 * BYOL's regression loss (Grill et al. 2020): the online network's prediction p of one view against the
 * target network's projection z of the other (no gradient), both L2-normalised:
 * ||p/|p| - z/|z|||^2 = 2 - 2 cos(p, z), averaged over the batch; the method adds both directions.
 */
public final class ByolLoss {
    private ByolLoss() {}

    /** p [N, D] predictions, z [N, D] the target's projections of the other view. */
    public static Variable of(Variable p, Tensor z) {
        Losses.requirePairs("BYOL", p, Variable.constant(z));
        return Losses.cosine(p, Variable.constant(z)).mean().mul(-2f).add(2f);
    }

    /** Both directions: of(p1, z2) + of(p2, z1). */
    public static Variable symmetric(Variable p1, Variable p2, Tensor z1, Tensor z2) {
        return of(p1, z2).add(of(p2, z1));
    }
}
