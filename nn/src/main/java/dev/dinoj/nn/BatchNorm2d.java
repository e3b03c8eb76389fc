package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;

/**
 * Batch normalisation of images [B, C, H, W] per channel over (batch, positions), as
 * torch.nn.BatchNorm2d ({@link BatchNorm}: batch statistics in training, running ones in evaluation;
 * torch's names). {@link #forwardTokens} normalises channels-last tokens [B, H*W, C] without a permute.
 */
public final class BatchNorm2d extends BatchNorm {
    public BatchNorm2d(int channels) {
        this(channels, 1e-5f, 0.1f);
    }

    public BatchNorm2d(int channels, float eps, float momentum) {
        super("BatchNorm2d", channels, eps, momentum);
    }

    /** x: [B, C, H, W]. */
    @Override
    public Variable forward(Variable x) {
        if (x.rank() != 4 || x.size(1) != channels) {
            throw new IllegalArgumentException("BatchNorm2d(" + channels + "): input must be [B, " + channels + ", H, W], got " + x.shape());
        }
        int b = x.size(0), h = x.size(2), w = x.size(3);
        Variable rows = x.permute(0, 2, 3, 1).reshape(b * h * w, channels);
        return normalizeRows(rows, false).reshape(b, h, w, channels).permute(0, 3, 1, 2).contiguous();
    }

    /** x: [B, P, C] channels-last tokens; relu'd too when relu (one op in training). */
    public Variable forwardTokens(Variable x, boolean relu) {
        if (x.rank() != 3 || x.size(2) != channels) {
            throw new IllegalArgumentException("BatchNorm2d(" + channels + "): tokens must be [B, P, " + channels + "], got " + x.shape());
        }
        int b = x.size(0), p = x.size(1);
        return normalizeRows(x.reshape(b * p, channels), relu).reshape(b, p, channels);
    }
}
