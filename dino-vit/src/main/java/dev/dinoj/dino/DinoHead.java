package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.BatchNorm1d;
import dev.dinoj.nn.Gelu;
import dev.dinoj.nn.Linear;
import dev.dinoj.nn.Module;
import dev.dinoj.nn.Sequential;
import dev.dinoj.nn.WeightNormLinear;
import dev.dinoj.tensor.Generator;

/**
 * The DINO projection head: a 3-layer MLP (in -> hidden -> hidden -> bottleneck, exact GELU between),
 * L2 normalisation, then a weight-normalised linear layer without bias to out_dim. With
 * norm_last_layer the last layer's gain is frozen at 1. With use_bn, batch normalisation follows each
 * hidden Linear (the reference's use_bn_in_head): it removes the component that every image shares,
 * which at initialisation is almost all of a ViT's cls feature, so the teacher's outputs depend on the
 * image from the first step. Names: mlp.0, mlp.2, mlp.4 (with use_bn: mlp.0, mlp.1, mlp.3, mlp.4, mlp.6),
 * last_layer.weight_g, last_layer.weight_v, as the reference.
 */
public final class DinoHead extends Module {
    private final Sequential mlp;
    private final WeightNormLinear lastLayer;
    private final int outDim;

    public DinoHead(int inDim, int outDim, int hiddenDim, int bottleneckDim, boolean normLastLayer, Generator g) {
        this(inDim, outDim, hiddenDim, bottleneckDim, normLastLayer, false, g);
    }

    public DinoHead(int inDim, int outDim, int hiddenDim, int bottleneckDim, boolean normLastLayer, boolean useBn, Generator g) {
        if (outDim <= 0 || hiddenDim <= 0 || bottleneckDim <= 0) {
            throw new IllegalArgumentException("DINO head: sizes must be positive, got out " + outDim + ", hidden " + hiddenDim
                    + ", bottleneck " + bottleneckDim);
        }
        this.outDim = outDim;
        mlp = registerModule("mlp", projection(inDim, hiddenDim, bottleneckDim, useBn, g));
        lastLayer = registerModule("last_layer", new WeightNormLinear(bottleneckDim, outDim, g));
        lastLayer.weightG().data().fill(1f);
        lastLayer.freezeGain(normLastLayer);
    }

    /**
     * The head's 3-layer MLP in -> hidden -> hidden -> bottleneck (GELU between; batch norm after each
     * hidden Linear when useBn), initialised as the reference's (trunc-normal 0.02, zero bias); SimDINO's
     * head is this MLP alone.
     */
    static Sequential projection(int inDim, int hiddenDim, int bottleneckDim, boolean useBn, Generator g) {
        Sequential mlp = useBn
                ? new Sequential(new Linear(inDim, hiddenDim, true, g), new BatchNorm1d(hiddenDim), new Gelu(),
                        new Linear(hiddenDim, hiddenDim, true, g), new BatchNorm1d(hiddenDim), new Gelu(), new Linear(hiddenDim, bottleneckDim, true, g))
                : new Sequential(new Linear(inDim, hiddenDim, true, g), new Gelu(),
                        new Linear(hiddenDim, hiddenDim, true, g), new Gelu(), new Linear(hiddenDim, bottleneckDim, true, g));
        VisionTransformer.initLinears(mlp, g);
        return mlp;
    }

    public int outDim() {
        return outDim;
    }

    @Override
    public Variable forward(Variable x) {
        return lastLayer.forward(mlp.forward(x).normalize(-1, 1e-12f));
    }
}
