package dev.dinoj.tensor;

/**
 * Batch normalisation's output and its per-column statistics over the rows, [C] each: the mean, the
 * biased variance (which running statistics follow) and 1/sqrt(var + eps) (which backward reuses).
 */
public record BatchNormResult(Tensor output, Tensor mean, Tensor var, Tensor rstd) {}
