package dev.dinoj.tensor;

/**
 * Element types. Arithmetic is float32; int32 carries indices (argmax, index_select, gather).
 * Reduced-precision float types (bf16, fp16) are meant to be added here: every backend op checks
 * the dtypes it supports and names the op in its error, so a new type fails loudly until implemented.
 */
public enum DType {
    FLOAT32("float32", 4),
    INT32("int32", 4);

    private final String label;
    private final int byteSize;

    DType(String label, int byteSize) {
        this.label = label;
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return this == FLOAT32;
    }

    @Override
    public String toString() {
        return label;
    }
}
