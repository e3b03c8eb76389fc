package dev.dinoj.tensor;

/** LayerNorm's output and the per-row statistics its backward needs: mean and 1/sqrt(var + eps), [rows]. */
public record LayerNormResult(Tensor output, Tensor mean, Tensor rstd) {}
