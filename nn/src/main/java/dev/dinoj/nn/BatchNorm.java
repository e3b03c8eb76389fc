package dev.dinoj.nn;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

/**
 * Batch normalisation over the rows of [N, C] (what {@link BatchNorm1d} and {@link BatchNorm2d} reduce
 * their inputs to), as torch's: in training, each channel is normalised with the batch's mean and biased
 * variance and the running statistics follow (running = (1 - momentum) * running + momentum * batch, the
 * variance unbiased); in evaluation the running statistics are used. Learned weight (ones) and bias
 * (zeros). Names: weight, bias, running_mean, running_var, num_batches_tracked. The gradient flows
 * through the batch statistics ({@link Variable#batchNorm}, one fused op and its backward).
 */
public abstract class BatchNorm extends Module {
    private final String name;
    protected final int channels;
    private final float eps, momentum;
    private final Variable weight, bias;

    protected BatchNorm(String name, int channels, float eps, float momentum) {
        this(name, channels, eps, momentum, true);
    }

    protected BatchNorm(String name, int channels, float eps, float momentum, boolean affine) {
        if (channels <= 0) throw new IllegalArgumentException(name + ": channels must be positive, got " + channels);
        if (!(eps > 0)) throw new IllegalArgumentException(name + ": eps must be positive, got " + eps);
        if (!(momentum >= 0 && momentum <= 1)) throw new IllegalArgumentException(name + ": momentum must be in [0, 1], got " + momentum);
        this.name = name;
        this.channels = channels;
        this.eps = eps;
        this.momentum = momentum;
        weight = affine ? registerParameter("weight", Tensor.ones(channels)) : null;
        bias = affine ? registerParameter("bias", Tensor.zeros(channels)) : null;
        registerBuffer("running_mean", Tensor.zeros(channels));
        registerBuffer("running_var", Tensor.ones(channels));
        registerBuffer("num_batches_tracked", Tensor.zeros(1)); // float here; torch keeps an int64 count
    }

    /** rows [N, C] normalised per channel (and relu'd, as one op in training, when relu). */
    protected final Variable normalizeRows(Variable rows, boolean relu) {
        dev.dinoj.tensor.Device device = rows.data().device();
        Variable weight = this.weight != null ? this.weight : Variable.constant(Tensor.full(dev.dinoj.tensor.Shape.of(channels), 1f, device));
        Variable bias = this.bias != null ? this.bias : Variable.constant(Tensor.zeros(dev.dinoj.tensor.Shape.of(channels), device));
        if (!isTraining()) {
            Tensor scale = buffer("running_var").add(eps).rsqrt();
            Variable y = rows.sub(Variable.constant(buffer("running_mean"))).mul(Variable.constant(scale)).mul(weight).add(bias);
            return relu ? y.relu() : y;
        }
        int n = rows.size(0);
        if (n < 2) throw new IllegalArgumentException(name + ": training needs more than one sample per channel, got " + n);
        Variable.BatchNorm bn = rows.batchNorm(weight, bias, eps, relu);
        try (GradMode.Scope ignored = GradMode.disabled()) {
            Tensor rm = buffer("running_mean"), rv = buffer("running_var");
            rm.copyFrom(Tensor.linearCombination(1f - momentum, rm, momentum, bn.mean()));
            rv.copyFrom(Tensor.linearCombination(1f - momentum, rv, momentum * n / (n - 1f), bn.var()));
            Tensor count = buffer("num_batches_tracked");
            count.copyFrom(count.add(1f));
        }
        return bn.output();
    }
}
