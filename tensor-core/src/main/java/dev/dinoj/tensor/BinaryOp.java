package dev.dinoj.tensor;

/** Elementwise functions of two tensors. Comparisons produce 1.0 where true and 0.0 where false. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MINIMUM, MAXIMUM,
    EQ, NE, LT, LE, GT, GE;

    public boolean isComparison() {
        return ordinal() >= EQ.ordinal();
    }
}
