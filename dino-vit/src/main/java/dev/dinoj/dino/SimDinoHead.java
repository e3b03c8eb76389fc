package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.Module;
import dev.dinoj.nn.Sequential;
import dev.dinoj.tensor.Generator;

/**
 * SimDINO's projection head (Wu et al. 2025): the DINO head's 3-layer MLP (in -> hidden -> hidden ->
 * bottleneck, with batch norm when useBn) and L2 normalisation, without DINO's weight-normalised
 * prototype layer: the features are compared directly, not as softmax distributions over prototypes.
 * Names: mlp.0, mlp.2, mlp.4 (with useBn mlp.0, mlp.1, mlp.3, mlp.4, mlp.6), as the DINO head's.
 */
public final class SimDinoHead extends Module {
    private final Sequential mlp;
    private final int outDim;

    public SimDinoHead(int inDim, int hiddenDim, int bottleneckDim, boolean useBn, Generator g) {
        if (hiddenDim <= 0 || bottleneckDim <= 0) {
            throw new IllegalArgumentException("SimDINO head: sizes must be positive, got hidden " + hiddenDim + ", bottleneck " + bottleneckDim);
        }
        this.outDim = bottleneckDim;
        mlp = registerModule("mlp", DinoHead.projection(inDim, hiddenDim, bottleneckDim, useBn, g));
    }

    /** The width of the normalised features (the bottleneck). */
    public int outDim() {
        return outDim;
    }

    @Override
    public Variable forward(Variable x) {
        return mlp.forward(x).normalize(-1, 1e-12f);
    }
}
