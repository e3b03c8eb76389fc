package dev.dinoj.dino.lineage;

import dev.dinoj.autograd.Variable;

/** Shape checks the lineage losses share. */
final class Losses {
    private Losses() {}

    /** Two [N, D] views of the same N images (N >= 1). */
    static void requirePairs(String loss, Variable a, Variable b) {
        if (a.rank() != 2 || b.rank() != 2 || !a.shape().equals(b.shape()) || a.size(0) < 1) {
            throw new IllegalArgumentException(loss + ": the two views must both be [N, D], N >= 1, got " + a.shape() + " and " + b.shape());
        }
    }

    /** The rows' cosine similarities [N] of a and b [N, D] (b may be a constant). */
    static Variable cosine(Variable a, Variable b) {
        return a.normalize(-1, 1e-12f).mul(b.normalize(-1, 1e-12f)).sum(1, false);
    }
}
