package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named parameters that share a learning rate and a weight decay, both settable per iteration by
 * schedules. Names key the optimizer state in checkpoints.
 */
public final class ParamGroup {
    private final Map<String, Variable> params;
    private double lr;
    private double weightDecay;

    public ParamGroup(Map<String, Variable> params, double lr, double weightDecay) {
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        setLr(lr);
        setWeightDecay(weightDecay);
    }

    /**
     * The usual split: parameters with one dimension (biases, norm weights) and any whose name ends in
     * ".bias" get no weight decay, the rest get {@code weightDecay}. Frozen parameters are kept so that
     * unfreezing them later trains them.
     */
    public static ParamGroup[] decayAndNoDecay(Map<String, Variable> named, double lr, double weightDecay) {
        Map<String, Variable> decay = new LinkedHashMap<>(), noDecay = new LinkedHashMap<>();
        named.forEach((k, v) -> (v.rank() <= 1 || k.endsWith(".bias") ? noDecay : decay).put(k, v));
        return new ParamGroup[] {new ParamGroup(decay, lr, weightDecay), new ParamGroup(noDecay, lr, 0.0)};
    }

    public Map<String, Variable> params() {
        return params;
    }

    public double lr() {
        return lr;
    }

    public void setLr(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
        this.lr = lr;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public void setWeightDecay(double wd) {
        if (!(wd >= 0) || Double.isInfinite(wd)) throw new IllegalArgumentException("weight decay must be finite and >= 0, got " + wd);
        this.weightDecay = wd;
    }
}
