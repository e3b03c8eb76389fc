package dev.dinoj.tensor;

import java.util.Arrays;

/** An immutable list of dimension sizes. Negative dimension indices count from the end, as in NumPy. */
public final class Shape {
    private static final Shape SCALAR = new Shape(new int[0]);

    private final int[] dims;
    private final long numel;

    private Shape(int[] dims) {
        this.dims = dims;
        long n = 1;
        for (int d : dims) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " has more than 2^63 elements");
            }
        }
        this.numel = n;
    }

    public static Shape of(int... dims) {
        if (dims.length == 0) return SCALAR;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + ": dimension " + i + " is negative");
            }
        }
        return new Shape(dims.clone());
    }

    public static Shape scalar() {
        return SCALAR;
    }

    public int rank() {
        return dims.length;
    }

    /** Size of dimension {@code dim}; negative values count from the end. */
    public int size(int dim) {
        return dims[normalize(dim, "size")];
    }

    public long numel() {
        return numel;
    }

    public int[] toArray() {
        return dims.clone();
    }

    /** Turns a possibly negative dimension index into 0..rank-1, or throws naming the op. */
    public int normalize(int dim, String op) {
        int d = dim < 0 ? dim + dims.length : dim;
        if (d < 0 || d >= dims.length) {
            throw new IllegalArgumentException(op + ": dimension " + dim + " is out of range for shape " + this
                    + " (rank " + dims.length + ")");
        }
        return d;
    }

    /** Row-major strides of a contiguous tensor of this shape. */
    public int[] contiguousStrides() {
        int[] s = new int[dims.length];
        long acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = (int) acc;
            acc *= Math.max(dims[i], 1);
        }
        return s;
    }

    /** The NumPy broadcast of two shapes, or an error naming the op and both shapes. */
    public static Shape broadcast(String op, Shape a, Shape b) {
        int r = Math.max(a.rank(), b.rank());
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.rank() ? 1 : a.dims[i - (r - a.rank())];
            int db = i < r - b.rank() ? 1 : b.dims[i - (r - b.rank())];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + a + " and " + b + " cannot be broadcast together");
            }
            out[i] = da == 1 ? db : da;
        }
        return new Shape(out);
    }

    /** A copy with dimension {@code dim} replaced by {@code size}. */
    public Shape with(int dim, int size) {
        int[] d = dims.clone();
        d[normalize(dim, "shape")] = size;
        return Shape.of(d);
    }

    /** The first rank - k dimensions (the batch dimensions of [..., n, m] for k = 2). */
    public Shape dropLast(int k) {
        if (k < 0 || k > dims.length) throw new IllegalArgumentException("shape " + this + " has no " + k + " last dimensions to drop");
        return Shape.of(Arrays.copyOf(dims, dims.length - k));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape && Arrays.equals(dims, ((Shape) o).dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
