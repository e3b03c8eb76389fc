package dev.dinoj.tensor;

/** Reductions over a set of dimensions. VAR uses a correction (1 = unbiased); NORM is the L2 norm. */
public enum ReduceOp {
    SUM, MEAN, MAX, MIN, ARGMAX, ARGMIN, VAR, NORM
}
