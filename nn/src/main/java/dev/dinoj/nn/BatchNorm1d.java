package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;

/**
 * Batch normalisation of features [N, C], as torch.nn.BatchNorm1d ({@link BatchNorm}: batch statistics
 * in training, running ones in evaluation; torch's names).
 */
public final class BatchNorm1d extends BatchNorm {
    public BatchNorm1d(int features) {
        this(features, 1e-5f, 0.1f);
    }

    public BatchNorm1d(int features, float eps, float momentum) {
        super("BatchNorm1d", features, eps, momentum);
    }

    /** Without the learned weight and bias when not affine (torch's affine=False). */
    public BatchNorm1d(int features, boolean affine) {
        super("BatchNorm1d", features, 1e-5f, 0.1f, affine);
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
        if (x.rank() != 2 || x.size(1) != channels) {
            throw new IllegalArgumentException("BatchNorm1d(" + channels + "): input must be [N, " + channels + "], got " + x.shape());
        }
        return normalizeRows(x, relu);
    }
}
