package dev.dinoj.tensor;

import java.util.Locale;

/** NumPy-like text of a tensor's values: nested brackets, long dimensions summarised with "...". */
final class TensorFormat {
    private static final int EDGE = 3;

    private TensorFormat() {}

    static String format(Tensor t) {
        float[] v = t.toFloatArray();
        StringBuilder sb = new StringBuilder();
        boolean ints = t.dtype() == DType.INT32;
        append(sb, v, t.dims(), 0, 0, ints, 0);
        return sb.toString();
    }

    private static void append(StringBuilder sb, float[] v, int[] dims, int dim, int base, boolean ints, int indent) {
        if (dim == dims.length) {
            sb.append(ints ? String.valueOf((int) v[base]) : number(v[base]));
            return;
        }
        int n = dims[dim];
        int inner = 1;
        for (int d = dim + 1; d < dims.length; d++) inner *= dims[d];
        sb.append('[');
        for (int i = 0; i < n; i++) {
            if (n > 2 * EDGE && i == EDGE) {
                sb.append(dim == dims.length - 1 ? "..., " : "...,\n" + " ".repeat(indent + 1));
                i = n - EDGE;
            }
            append(sb, v, dims, dim + 1, base + i * inner, ints, indent + 1);
            if (i < n - 1) sb.append(dim == dims.length - 1 ? ", " : ",\n" + " ".repeat(indent + 1));
        }
        sb.append(']');
    }

    private static String number(float x) {
        if (Float.isNaN(x) || Float.isInfinite(x)) return Float.toString(x);
        float a = Math.abs(x);
        if (a != 0 && (a < 1e-4f || a >= 1e6f)) return String.format(Locale.ROOT, "%.4e", x);
        return String.format(Locale.ROOT, "%.4f", x);
    }
}
