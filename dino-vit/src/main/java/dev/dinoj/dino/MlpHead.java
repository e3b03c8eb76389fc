package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.BatchNorm1d;
import dev.dinoj.nn.Linear;
import dev.dinoj.nn.Module;
import dev.dinoj.nn.Relu;
import dev.dinoj.nn.Sequential;
import dev.dinoj.tensor.Generator;

/**
 * The projector and predictor MLPs of the methods DINO grew from (BYOL, SimSiam, MoCo v3, SimCLR, Barlow
 * Twins): (Linear, batch norm, ReLU) for each hidden layer, then a Linear, and, where the method's paper has
 * one, a last batch norm without affine parameters (SimSiam's, MoCo v3's, SimCLR's code's; InstDisc's here). A Linear followed by batch
 * norm has no bias (the norm's shift replaces it). Names: mlp.0, mlp.1, ...
 */
public final class MlpHead extends Module {
    private final Sequential mlp;
    private final int outDim;

    /** @param layers Linear layers (>= 1); hiddenBn batch norm after each hidden Linear; lastBn a non-affine batch norm at the end */
    public MlpHead(int in, int hidden, int out, int layers, boolean hiddenBn, boolean lastBn, Generator g) {
        if (in <= 0 || hidden <= 0 || out <= 0 || layers < 1) {
            throw new IllegalArgumentException("MLP head: sizes must be positive and layers >= 1, got in " + in + ", hidden " + hidden + ", out "
                    + out + ", layers " + layers);
        }
        this.outDim = out;
        Sequential s = new Sequential();
        int width = in;
        for (int i = 0; i < layers - 1; i++) {
            s.add(new Linear(width, hidden, !hiddenBn, g));
            if (hiddenBn) s.add(new BatchNorm1d(hidden));
            s.add(new Relu());
            width = hidden;
        }
        s.add(new Linear(width, out, !lastBn, g));
        if (lastBn) s.add(new BatchNorm1d(out, false));
        mlp = registerModule("mlp", s);
    }

    public int outDim() {
        return outDim;
    }

    @Override
    public Variable forward(Variable x) {
        return mlp.forward(x);
    }
}
