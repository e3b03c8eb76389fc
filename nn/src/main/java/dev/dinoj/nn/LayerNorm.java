package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

/** LayerNorm over the last dimension with learned weight (ones) and bias (zeros). */
public final class LayerNorm extends Module {
    private final int dim;
    private final float eps;
    private final Variable weight, bias;

    public LayerNorm(int dim, float eps) {
        if (dim <= 0) throw new IllegalArgumentException("LayerNorm: dim must be positive, got " + dim);
        if (!(eps > 0)) throw new IllegalArgumentException("LayerNorm: eps must be positive, got " + eps);
        this.dim = dim;
        this.eps = eps;
        this.weight = registerParameter("weight", Tensor.ones(dim));
        this.bias = registerParameter("bias", Tensor.zeros(dim));
    }

    public float eps() {
        return eps;
    }

    @Override
    public Variable forward(Variable x) {
        if (x.rank() == 0 || x.size(-1) != dim) {
            throw new IllegalArgumentException("LayerNorm(" + dim + "): input shape " + x.shape() + " does not end in " + dim);
        }
        return x.layerNorm(weight, bias, eps);
    }
}
