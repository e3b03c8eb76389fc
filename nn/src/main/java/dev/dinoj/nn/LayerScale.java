package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

/**
 * A learned per-channel scale of a residual branch, x * gamma (CaiT, Touvron et al. 2021; DINOv2's
 * ls1/ls2), gamma [dim] initialised to a small value so that each block starts close to the identity.
 * Name: gamma, as the DINOv2 reference.
 */
public final class LayerScale extends Module {
    private final Variable gamma;

    public LayerScale(int dim, float init) {
        if (dim <= 0) throw new IllegalArgumentException("LayerScale: dim must be positive, got " + dim);
        if (!(init > 0) || !Float.isFinite(init)) throw new IllegalArgumentException("LayerScale: the initial scale must be positive and finite, got " + init);
        gamma = registerParameter("gamma", Tensor.full(init, dim));
    }

    public Variable gamma() {
        return gamma;
    }

    @Override
    public Variable forward(Variable x) {
        return x.mul(gamma);
    }
}
