package dev.dinoj.tensor.cpu;

/**
 * Transcendental functions over contiguous array ranges: the hot inner loops of softmax, GELU and
 * friends, and the loops C2 does not vectorise by itself (the ReLU-masked batch-norm backward).
 * {@link #get()} is the Vector API implementation (SIMD exp, about 40x faster than Math.exp per
 * element) where the runtime has jdk.incubator.vector, else a portable scalar one; both give the same
 * bits where a method says so.
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

    /**
     * Batch norm + ReLU backward, the column sums of one span: with g' = g where x * sc + sh > 0, else
     * g * 0 (a zero keeping g's sign, NaN staying NaN), accG[i] += g' and accGx[i] += g' * (x - mt[i]),
     * for i in [0, n). The per-column vectors sc, sh, mt are tiled to the span (index i).
     */
    abstract void reluMaskedGradSums(float[] g, int go, float[] x, int xo, float[] sc, float[] sh, float[] mt,
                                     float[] accG, float[] accGx, int n);

    /** Batch norm + ReLU backward, the input gradient of one span: o = a * (g' - mb - (x - mt) * k), g' as above. */
    abstract void reluMaskedGradInput(float[] g, int go, float[] x, int xo, float[] sc, float[] sh, float[] mt, float[] a,
                                      float[] mb, float[] k, float[] o, int oo, int n);
}
