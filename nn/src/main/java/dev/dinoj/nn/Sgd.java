package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

/** Stochastic gradient descent with optional momentum (and Nesterov) and L2 weight decay, as torch.optim.SGD. */
public final class Sgd extends Optimizer {
    private final float momentum;
    private final boolean nesterov;

    public Sgd(List<ParamGroup> groups, float momentum, boolean nesterov) {
        super(groups);
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("SGD: momentum must be in [0, 1), got " + momentum);
        if (nesterov && momentum == 0) throw new IllegalArgumentException("SGD: Nesterov momentum needs momentum > 0");
        this.momentum = momentum;
        this.nesterov = nesterov;
    }

    public Sgd(float momentum, boolean nesterov, ParamGroup... groups) {
        this(Arrays.asList(groups), momentum, nesterov);
    }

    @Override
    protected void update(String name, Variable p, Tensor grad, ParamGroup g) {
        Tensor d = grad;
        if (g.weightDecay() != 0) d = Tensor.linearCombination(1f, grad, (float) g.weightDecay(), p.data());
        if (momentum != 0) {
            boolean fresh = !state.containsKey(name + ".momentum_buffer");
            Tensor buf = slot(name, "momentum_buffer", p);
            if (fresh) buf.copyFrom(d);
            else buf.scaleAddInPlace(momentum, 1f, d);
            d = nesterov ? Tensor.linearCombination(1f, d, momentum, buf) : buf;
        }
        p.data().addInPlace(d, (float) -g.lr());
    }
}
