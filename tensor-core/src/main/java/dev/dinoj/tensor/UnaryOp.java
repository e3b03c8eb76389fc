package dev.dinoj.tensor;

/**
 * Elementwise functions of one tensor. Some take scalar parameters {@code a}, {@code b}:
 * AFFINE is x*a + b, POW is x^a, CLAMP clamps to [a, b], LEAKY_RELU uses slope a.
 */
public enum UnaryOp {
    NEG, ABS, SIGN, EXP, LOG, SQRT, RSQRT, RECIPROCAL, SQUARE, TANH, ERF, GELU, RELU, SIGMOID,
    AFFINE, POW, CLAMP,
    /** Derivative of the exact GELU, used by backward rules. */
    GELU_GRAD
}
