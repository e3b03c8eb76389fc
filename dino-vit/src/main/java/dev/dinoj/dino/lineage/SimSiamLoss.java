package dev.dinoj.dino.lineage;

import dev.dinoj.autograd.Variable;

/**
 * SimSiam's loss (Chen and He 2021): D(p1, stopgrad(z2)) / 2 + D(p2, stopgrad(z1)) / 2 with
 * D(p, z) = -cos(p, z) averaged over the batch. One encoder for both views; the stop-gradient on the
 * projections (not a momentum copy) is what keeps it from collapsing.
 */
public final class SimSiamLoss {
    private SimSiamLoss() {}

    /** p1, p2 [N, D] the predictions of views 1 and 2; z1, z2 [N, D] their projections (detached here). */
    public static Variable of(Variable p1, Variable p2, Variable z1, Variable z2) {
        Losses.requirePairs("SimSiam", p1, z2);
        Losses.requirePairs("SimSiam", p2, z1);
        Variable a = Losses.cosine(p1, Variable.constant(z2.data())).mean(), b = Losses.cosine(p2, Variable.constant(z1.data())).mean();
        return a.add(b).mul(-0.5f);
    }
}
