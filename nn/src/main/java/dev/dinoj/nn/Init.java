package dev.dinoj.nn;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;

/** Parameter initialisations (in place), matching torch.nn.init where they share a name. */
public final class Init {
    private Init() {}

    /**
     * Normal(mean, std) truncated to the absolute bounds [a, b] (as torch.nn.init.trunc_normal_, whose
     * bounds are values, not multiples of std). Out-of-bounds draws are redrawn.
     */
    public static Tensor truncNormal(Tensor t, float mean, float std, float a, float b, Generator g) {
        if (!(a < b)) throw new IllegalArgumentException("truncNormal: need a < b, got [" + a + ", " + b + "]");
        if (!(std > 0)) throw new IllegalArgumentException("truncNormal: std must be positive, got " + std);
        Tensor v = Tensor.randn(g, t.dims()).affine(std, mean);
        for (int round = 0; round < 100; round++) {
            Tensor outside = v.lt(a).add(v.gt(b));
            if (outside.max().item() == 0f) break;
            Tensor redraw = Tensor.randn(g, t.dims()).affine(std, mean);
            v = Tensor.where(outside, redraw, v);
        }
        if (v.lt(a).add(v.gt(b)).max().item() != 0f) {
            throw new IllegalArgumentException("truncNormal: the interval [" + a + ", " + b + "] has almost no mass under N(" + mean + ", " + std + ")");
        }
        return t.copyFrom(v);
    }

    /** trunc_normal_(std) with the default bounds [-2, 2] that ViT and DINO use. */
    public static Tensor truncNormal(Tensor t, float std, Generator g) {
        return truncNormal(t, 0f, std, -2f, 2f, g);
    }

    /**
     * He initialisation for a layer followed by ReLU, as torch.nn.init.kaiming_normal_(mode = 'fan_out',
     * nonlinearity = 'relu') that torchvision's ResNets use: N(0, 2 / fanOut), fanOut = dims[0] * (product of dims[2..]).
     */
    public static Tensor kaimingNormalFanOut(Tensor t, Generator g) {
        long fanOut = t.size(0);
        for (int i = 2; i < t.rank(); i++) fanOut *= t.size(i);
        return t.copyFrom(Tensor.randn(g, t.dims()).mul((float) Math.sqrt(2.0 / fanOut)));
    }

    public static Tensor uniform(Tensor t, float low, float high, Generator g) {
        return t.copyFrom(Tensor.rand(g, t.dims()).affine(high - low, low));
    }

    public static Tensor zeros(Tensor t) {
        return t.fill(0f);
    }

    public static Tensor ones(Tensor t) {
        return t.fill(1f);
    }

    /**
     * PyTorch's default for Linear and Conv weights, kaiming_uniform(a = sqrt 5): U(-1/sqrt(fanIn), 1/sqrt(fanIn)),
     * where fanIn is the product of all dimensions but the first. Biases use the same bound.
     */
    public static Tensor pytorchDefault(Tensor t, int fanIn, Generator g) {
        float bound = (float) (1.0 / Math.sqrt(fanIn));
        return uniform(t, -bound, bound, g);
    }
}
