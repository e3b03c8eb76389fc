package dev.dinoj.tensor.cpu;

/** Scalar loops over java.lang.Math and {@link FloatMath}. */
final class PortableArrayMath extends ArrayMath {
    @Override
    String name() {
        return "portable";
    }

    @Override
    void exp(float[] x, int xo, float[] o, int oo, int n) {
        for (int i = 0; i < n; i++) o[oo + i] = (float) Math.exp(x[xo + i]);
    }

    @Override
    double expAffineSum(float[] x, int xo, float[] o, int oo, int n, float scale, float shift) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[xo + i] * scale + shift);
            o[oo + i] = e;
            s += e;
        }
        return s;
    }

    @Override
    float max(float[] x, int xo, int n) {
        float m = x[xo];
        for (int i = 1; i < n; i++) {
            float v = x[xo + i];
            if (v > m || v != v) m = v;
            if (m != m) return m;
        }
        return m;
    }

    @Override
    void affine(float[] x, int xo, float[] o, int oo, int n, float scale, float shift) {
        for (int i = 0; i < n; i++) o[oo + i] = x[xo + i] * scale + shift;
    }

    @Override
    void gelu(float[] x, int xo, float[] o, int oo, int n) {
        for (int i = 0; i < n; i++) o[oo + i] = FloatMath.gelu(x[xo + i]);
    }

    @Override
    void geluGrad(float[] x, int xo, float[] o, int oo, int n) {
        for (int i = 0; i < n; i++) o[oo + i] = FloatMath.geluGrad(x[xo + i]);
    }

    @Override
    void sigmoid(float[] x, int xo, float[] o, int oo, int n) {
        for (int i = 0; i < n; i++) o[oo + i] = (float) (1.0 / (1.0 + Math.exp(-x[xo + i])));
    }

    @Override
    void tanh(float[] x, int xo, float[] o, int oo, int n) {
        for (int i = 0; i < n; i++) o[oo + i] = (float) Math.tanh(x[xo + i]);
    }

    @Override
    void reluMaskedGradSums(float[] g, int go, float[] x, int xo, float[] sc, float[] sh, float[] mt, float[] accG, float[] accGx, int n) {
        reluMaskedGradSums(g, go, x, xo, sc, sh, mt, accG, accGx, 0, n);
    }

    @Override
    void reluMaskedGradInput(float[] g, int go, float[] x, int xo, float[] sc, float[] sh, float[] mt, float[] a, float[] mb, float[] k,
                             float[] o, int oo, int n) {
        reluMaskedGradInput(g, go, x, xo, sc, sh, mt, a, mb, k, o, oo, 0, n);
    }

    /** {@link ArrayMath#reluMaskedGradSums} over the span indices [from, to): the whole loop here, the tail past the vectors in VectorArrayMath. */
    static void reluMaskedGradSums(float[] g, int go, float[] x, int xo, float[] sc, float[] sh, float[] mt, float[] accG, float[] accGx,
                                   int from, int to) {
        for (int i = from; i < to; i++) {
            float gi = x[xo + i] * sc[i] + sh[i] > 0 ? g[go + i] : g[go + i] * 0f;
            accG[i] += gi;
            accGx[i] += gi * (x[xo + i] - mt[i]);
        }
    }

    /** {@link ArrayMath#reluMaskedGradInput} over the span indices [from, to). */
    static void reluMaskedGradInput(float[] g, int go, float[] x, int xo, float[] sc, float[] sh, float[] mt, float[] a, float[] mb, float[] k,
                                    float[] o, int oo, int from, int to) {
        for (int i = from; i < to; i++) {
            float gi = x[xo + i] * sc[i] + sh[i] > 0 ? g[go + i] : g[go + i] * 0f;
            o[oo + i] = a[i] * (gi - mb[i] - (x[xo + i] - mt[i]) * k[i]);
        }
    }
}
