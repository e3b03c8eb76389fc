package dev.dinoj.dino;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.Linear;
import dev.dinoj.nn.Module;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;

/**
 * SwAV's head (Caron et al. 2020): a 2-layer projector (Linear, batch norm, ReLU, Linear), L2
 * normalisation, and the prototypes, a bias-free Linear whose rows are kept on the unit sphere
 * ({@link #normalizePrototypes} before each step, as the reference): its output is each crop's cosine
 * similarity to every prototype [N, K]. Names: projector.mlp.*, prototypes.weight.
 */
public final class SwavHead extends Module {
    private final MlpHead projector;
    private final Linear prototypes;

    public SwavHead(int in, int hidden, int out, int prototypes, Generator g) {
        if (prototypes <= 0) throw new IllegalArgumentException("SwAV head: prototypes must be positive, got " + prototypes);
        projector = registerModule("projector", new MlpHead(in, hidden, out, 2, true, false, g));
        this.prototypes = registerModule("prototypes", new Linear(out, prototypes, false, g));
        normalizePrototypes();
    }

    /** Puts every prototype back on the unit sphere (no gradient). */
    public void normalizePrototypes() {
        try (GradMode.Scope ignored = GradMode.disabled()) {
            Tensor w = prototypes.weight().data();
            w.copyFrom(w.normalize(1, 1e-12f));
        }
    }

    /** The normalised projection of features [N, D]: what the prototypes score (and SwAV's queue keeps). */
    public Variable embed(Variable x) {
        return projector.forward(x).normalize(-1, 1e-12f);
    }

    /** The cosine similarities [N, K] of normalised projections [N, out] to the prototypes. */
    public Variable scores(Variable z) {
        return prototypes.forward(z);
    }

    /** The same scores of past projections [L, out], without a gradient (SwAV's queue). */
    public Tensor scores(Tensor z) {
        return z.matmul(prototypes.weight().data().transpose(0, 1));
    }

    @Override
    public Variable forward(Variable x) {
        return scores(embed(x));
    }
}
