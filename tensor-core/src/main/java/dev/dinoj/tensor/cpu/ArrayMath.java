package dev.dinoj.tensor.cpu;

/**
 * Transcendental functions over contiguous array ranges: the hot inner loops of softmax, GELU and
 * friends. {@link #get()} is the Vector API implementation (SIMD exp, about 40x faster than Math.exp
 * per element) where the runtime has jdk.incubator.vector, else a portable scalar one.
 */
abstract class ArrayMath {
    private static final ArrayMath INSTANCE = choose();

    static ArrayMath get() {
        return INSTANCE;
    }

    private static ArrayMath choose() {
        if (Gemm.vectorKernel()) {
            try {
                return new VectorArrayMath();
            } catch (LinkageError e) {
                return new PortableArrayMath();
            }
        }
        return new PortableArrayMath();
    }

    abstract String name();

    /** o = exp(x). */
    abstract void exp(float[] x, int xo, float[] o, int oo, int n);

    /** o = exp(x * scale + shift); returns the sum of o. */
    abstract double expAffineSum(float[] x, int xo, float[] o, int oo, int n, float scale, float shift);

    /** The largest of x[xo .. xo+n) (NaN if any is NaN), n >= 1. */
    abstract float max(float[] x, int xo, int n);

    /** o = x * scale + shift. */
    abstract void affine(float[] x, int xo, float[] o, int oo, int n, float scale, float shift);

    abstract void gelu(float[] x, int xo, float[] o, int oo, int n);

    abstract void geluGrad(float[] x, int xo, float[] o, int oo, int n);

    abstract void sigmoid(float[] x, int xo, float[] o, int oo, int n);

    abstract void tanh(float[] x, int xo, float[] o, int oo, int n);
}
