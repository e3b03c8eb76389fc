package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;

/**
 * A bias-free Linear under weight normalisation (torch.nn.utils.weight_norm, dim 0): the weight is
 * weight_g * weight_v / ||weight_v|| per output row, with weight_g [out, 1] and weight_v [out, in].
 * The gain can be frozen (DINO's norm_last_layer), which keeps every row at unit norm.
 */
public final class WeightNormLinear extends Module {
    private final int in, out;
    private final Variable weightG, weightV;

    public WeightNormLinear(int in, int out, Generator g) {
        this.in = in;
        this.out = out;
        Tensor v = Init.pytorchDefault(Tensor.empty(out, in), in, g);
        this.weightG = registerParameter("weight_g", v.norm(new int[] {1}, true));
        this.weightV = registerParameter("weight_v", v);
    }

    public Variable weightG() {
        return weightG;
    }

    public Variable weightV() {
        return weightV;
    }

    /** Freezes (or unfreezes) the gain. */
    public WeightNormLinear freezeGain(boolean frozen) {
        weightG.requiresGrad(!frozen);
        return this;
    }

    /** The effective weight g * v / ||v||, [out, in]. */
    public Variable weight() {
        return weightV.div(weightV.norm(new int[] {1}, true)).mul(weightG);
    }

    @Override
    public Variable forward(Variable x) {
        if (x.rank() == 0 || x.size(-1) != in) {
            throw new IllegalArgumentException("WeightNormLinear(" + in + " -> " + out + "): input shape " + x.shape() + " does not end in " + in);
        }
        int[] outDims = x.dims();
        outDims[outDims.length - 1] = out;
        Variable flat = x.rank() == 2 ? x : x.reshape(-1, in);
        Variable y = flat.matmul(weight().transpose(0, 1));
        return x.rank() == 2 ? y : y.reshape(outDims);
    }
}
