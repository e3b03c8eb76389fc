package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.RandomDistribution;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;

/**
 * Stochastic depth per sample: in training, each sample's whole residual branch is dropped with
 * probability p and kept ones are scaled by 1/(1-p); identity in eval.
 */
public final class DropPath extends Module {
    private final float p;

    public DropPath(float p) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("DropPath: p must be in [0, 1), got " + p);
        this.p = p;
    }

    public float probability() {
        return p;
    }

    @Override
    public Variable forward(Variable x) {
        if (!isTraining() || p == 0f) return x;
        int[] dims = new int[x.rank()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = x.size(0);
        Tensor keep = Tensor.random(RandomDistribution.BERNOULLI, 1f - p, 0f, Shape.of(dims), generator(), x.data().device()).mul(1f / (1f - p));
        return x.mul(Variable.constant(keep));
    }
}
