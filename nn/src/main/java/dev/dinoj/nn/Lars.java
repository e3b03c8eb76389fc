package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

import java.util.List;
import java.util.Set;

/**
 * LARS (You et al. 2017), as the large-batch self-supervised methods use it (SimCLR, BYOL, Barlow Twins):
 * SGD with momentum whose step for each parameter tensor is scaled by its trust ratio,
 * d = g + wd w, d = d * eta ||w|| / ||d|| (1 where either norm is 0), buf = m buf + d, w -= lr buf.
 * The parameters named in {@code excluded} (biases and normalisation weights, as the references exclude
 * them) take the plain momentum step without the ratio and without decay.
 */
public final class Lars extends Optimizer {
    public static final float DEFAULT_MOMENTUM = 0.9f, DEFAULT_ETA = 0.001f;

    private final float momentum, eta;
    private final Set<String> excluded;

    public Lars(List<ParamGroup> groups, float momentum, float eta, Set<String> excluded) {
        super(groups);
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("LARS: momentum must be in [0, 1), got " + momentum);
        if (!(eta > 0)) throw new IllegalArgumentException("LARS: eta must be positive, got " + eta);
        this.momentum = momentum;
        this.eta = eta;
        this.excluded = Set.copyOf(excluded);
    }

    @Override
    protected void update(String name, Variable p, Tensor grad, ParamGroup g) {
        Tensor d = grad;
        if (!excluded.contains(name)) {
            if (g.weightDecay() != 0) d = Tensor.linearCombination(1f, grad, (float) g.weightDecay(), p.data());
            double w = Math.sqrt(p.data().square().sum().item()), n = Math.sqrt(d.square().sum().item());
            if (w > 0 && n > 0) d = d.mul((float) (eta * w / n));
        }
        boolean fresh = !state.containsKey(name + ".momentum_buffer");
        Tensor buf = slot(name, "momentum_buffer", p);
        if (fresh) buf.copyFrom(d);
        else buf.scaleAddInPlace(momentum, 1f, d);
        p.data().addInPlace(buf, (float) -g.lr());
    }
}
