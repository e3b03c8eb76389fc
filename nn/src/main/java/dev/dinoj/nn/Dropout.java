package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.RandomDistribution;
import dev.dinoj.tensor.Tensor;

/** Zeroes each element with probability p in training and scales the rest by 1/(1-p); identity in eval. */
public final class Dropout extends Module {
    private final float p;

    public Dropout(float p) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        this.p = p;
    }

    @Override
    public Variable forward(Variable x) {
        if (!isTraining() || p == 0f) return x;
        Tensor mask = Tensor.random(RandomDistribution.BERNOULLI, 1f - p, 0f, x.shape(), generator(), x.data().device()).mul(1f / (1f - p));
        return x.mul(Variable.constant(mask));
    }
}
