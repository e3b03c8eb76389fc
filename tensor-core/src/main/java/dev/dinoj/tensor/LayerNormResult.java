package dev.dinoj.tensor;

/** LayerNorm output with the per-row statistics (mean, 1/sqrt(var + eps)) that its backward pass reuses. */
public final class LayerNormResult {
    private final Tensor output;
    private final Tensor mean;
    private final Tensor rstd;

    LayerNormResult(Tensor output, Tensor mean, Tensor rstd) {
        this.output = output;
        this.mean = mean;
        this.rstd = rstd;
    }

    public Tensor output() {
        return output;
    }

    public Tensor mean() {
        return mean;
    }

    public Tensor rstd() {
        return rstd;
    }
}
