package dev.dinoj.nn;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

/**
 * Batch normalisation of features [N, C], as torch.nn.BatchNorm1d: in training, each feature is
 * normalised with the batch's mean and biased variance and the running statistics follow
 * (running = (1 - momentum) * running + momentum * batch, the variance unbiased); in evaluation the
 * running statistics are used. Learned weight (ones) and bias (zeros). Names: weight, bias,
 * running_mean, running_var, num_batches_tracked. The gradient flows through the batch statistics
 * ({@link Variable#batchNorm}, one fused op and its backward).
 */
public final class BatchNorm1d extends Module {
    private final int features;
    private final float eps, momentum;
    private final Variable weight, bias;

    public BatchNorm1d(int features) {
        this(features, 1e-5f, 0.1f);
    }

    public BatchNorm1d(int features, float eps, float momentum) {
        if (features <= 0) throw new IllegalArgumentException("BatchNorm1d: features must be positive, got " + features);
        if (!(eps > 0)) throw new IllegalArgumentException("BatchNorm1d: eps must be positive, got " + eps);
        if (!(momentum >= 0 && momentum <= 1)) throw new IllegalArgumentException("BatchNorm1d: momentum must be in [0, 1], got " + momentum);
        this.features = features;
        this.eps = eps;
        this.momentum = momentum;
        weight = registerParameter("weight", Tensor.ones(features));
        bias = registerParameter("bias", Tensor.zeros(features));
        registerBuffer("running_mean", Tensor.zeros(features));
        registerBuffer("running_var", Tensor.ones(features));
        registerBuffer("num_batches_tracked", Tensor.zeros(1)); // float here; torch keeps an int64 count
    }

    @Override
    public Variable forward(Variable x) {
        return forward(x, false);
    }

    /** relu(forward(x)), as one op in training (no normalised tensor between the two). */
    public Variable forwardRelu(Variable x) {
        return forward(x, true);
    }

    private Variable forward(Variable x, boolean relu) {
        if (x.rank() != 2 || x.size(1) != features) {
            throw new IllegalArgumentException("BatchNorm1d(" + features + "): input must be [N, " + features + "], got " + x.shape());
        }
        if (!isTraining()) {
            Tensor scale = buffer("running_var").add(eps).rsqrt();
            Variable y = x.sub(Variable.constant(buffer("running_mean"))).mul(Variable.constant(scale)).mul(weight).add(bias);
            return relu ? y.relu() : y;
        }
        int n = x.size(0);
        if (n < 2) throw new IllegalArgumentException("BatchNorm1d: training needs more than one sample per batch, got " + x.shape());
        Variable.BatchNorm bn = x.batchNorm(weight, bias, eps, relu);
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
