package dev.dinoj.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ArrayMath} on the Vector API. exp is computed here (Cody-Waite range reduction and the Cephes
 * expf polynomial, relative error about 1.2e-7) from adds, multiplies, FMAs and bit operations only,
 * rather than with VectorOperators.EXP: those are exactly specified, so interpreted, C1 and C2 code
 * give bit-identical results and a resumed training run reproduces an uninterrupted one, while the
 * JDK's transcendental intrinsics differ from their own Java fallback in the last bit. For the same
 * reason lane sums are added in a fixed order. erfc uses the same Chebyshev-fitted form as
 * {@link FloatMath#erfc}. Tails shorter than a vector go through the scalar code.
 *
 * <p>Every method here is a loop over arrays, and no helper takes or returns a vector. The Vector API
 * is fast only when C2 inlines a whole computation: a helper such as {@code exp(FloatVector)} that
 * gets compiled on its own is later refused for inlining ("already compiled into a big method"), and
 * every call then boxes its vectors (measured: GELU at 5 ns per element inside a training step instead
 * of well under 1). Composite functions (GELU, its gradient, sigmoid, tanh) therefore run in passes
 * over chunks that stay in L1: one pass prepares the exp arguments, {@link #expVectors} exponentiates
 * them in place, a last pass combines.
 *
 * <p>Construction warms the functions up on small arrays (a few thousand calls, under a second). With
 * tiered compilation, C2 compiled GELU's gradient from the profile of a training step's first few calls
 * (each a loop over millions of elements) into code 7x slower than the same method compiled after many
 * short calls: 21 ms instead of 3 for 3.2M elements, over a second per DINO step. Many short calls
 * first give C2 the profile it compiles well.
 */
final class VectorArrayMath extends ArrayMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Elements per pass of the composite functions: a multiple of every vector length, small enough for L1. */
    private static final int CHUNK = 512;
    private static final int WARM_UP_LENGTH = 1024, WARM_UP_CALLS = 800;
    private static final PortableArrayMath TAIL = new PortableArrayMath();
    private static final float SQRT1_2 = 0.70710678f, INV_SQRT_2PI = 0.39894228f;

    VectorArrayMath() {
        warmUp();
    }

    @Override
    String name() {
        return "vector-" + S.vectorBitSize();
    }

    private void warmUp() {
        float[] x = new float[WARM_UP_LENGTH], o = new float[WARM_UP_LENGTH];
        float[] sinkG = new float[WARM_UP_LENGTH], sinkGx = new float[WARM_UP_LENGTH], sinkIn = new float[WARM_UP_LENGTH];
        for (int i = 0; i < x.length; i++) x[i] = (i % 97 - 48) / 8f;
        double sink = 0;
        for (int call = 0; call < WARM_UP_CALLS; call++) {
            exp(x, 0, o, 0, x.length);
            sink += expAffineSum(x, 0, o, 0, x.length, 0.5f, -1f);
            sink += max(x, 0, x.length);
            affine(x, 0, o, 0, x.length, 0.5f, 1f);
            gelu(x, 0, o, 0, x.length);
            geluGrad(x, 0, o, 0, x.length);
            sigmoid(x, 0, o, 0, x.length);
            tanh(x, 0, o, 0, x.length);
            reluMaskedGradSums(x, 0, o, 0, x, o, x, sinkG, sinkGx, x.length);
            reluMaskedGradInput(x, 0, o, 0, x, o, x, x, o, x, sinkIn, 0, x.length);
        }
        if (Double.isNaN(sink)) throw new AssertionError("vector math warm-up produced NaN");
    }

    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to the nearest integer. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);

    /**
     * o = e^(x * scale + shift) over the first {@code n - n % L} elements (whole vectors); arguments are
     * clamped to [-87.3, 88.7], so every result is finite and positive. o may be x (in place). With
     * scale 1 and shift 0 the affine step is exact: plain e^x.
     */
    private static void expVectors(float[] x, int xo, float[] o, int oo, int n, float scale, float shift) {
        for (int i = 0; i <= n - L; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i).fma(scale, shift).max(-87.3f).min(88.7f);
            FloatVector shifted = v.fma(LOG2E, ROUNDER);
            FloatVector k = shifted.sub(ROUNDER);
            FloatVector r = v.sub(k.mul(LN2_HI)).sub(k.mul(LN2_LO));
            FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
            p = p.fma(r, FloatVector.broadcast(S, 8.3334519073e-3f));
            p = p.fma(r, FloatVector.broadcast(S, 4.1665795894e-2f));
            p = p.fma(r, FloatVector.broadcast(S, 1.6666665459e-1f));
            p = p.fma(r, FloatVector.broadcast(S, 5.0000001201e-1f));
            FloatVector er = p.mul(r.mul(r)).add(r).add(1f);
            // shifted = 1.5 * 2^23 + k exactly, so its low mantissa bits hold k: 2^k without a float-to-int
            // conversion (whose vector form JDK 17 does not always intrinsify)
            IntVector bits = shifted.reinterpretAsInts().sub(ROUNDER_BITS - 127).lanewise(VectorOperators.LSHL, 23);
            er.mul(bits.reinterpretAsFloats()).intoArray(o, oo + i);
        }
    }

    private static int whole(int n) {
        return n - n % L;
    }

    @Override
    void exp(float[] x, int xo, float[] o, int oo, int n) {
        int w = whole(n);
        expVectors(x, xo, o, oo, w, 1f, 0f);
        TAIL.exp(x, xo + w, o, oo + w, n - w);
    }

    @Override
    double expAffineSum(float[] x, int xo, float[] o, int oo, int n, float scale, float shift) {
        int w = whole(n);
        expVectors(x, xo, o, oo, w, scale, shift);
        double sum = 0;
        for (int j = 0; j < w; j++) sum += o[oo + j];
        return sum + TAIL.expAffineSum(x, xo + w, o, oo + w, n - w, scale, shift);
    }

    @Override
    float max(float[] x, int xo, int n) {
        if (n < L) return TAIL.max(x, xo, n);
        FloatVector m = FloatVector.fromArray(S, x, xo);
        int i = L;
        for (; i <= n - L; i += L) m = m.max(FloatVector.fromArray(S, x, xo + i)); // max propagates NaN
        float r = m.reduceLanes(VectorOperators.MAX);
        if (i < n) {
            float t = TAIL.max(x, xo + i, n - i);
            r = (r != r || t != t) ? Float.NaN : Math.max(r, t);
        }
        return r;
    }

    @Override
    void affine(float[] x, int xo, float[] o, int oo, int n, float scale, float shift) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(S, x, xo + i).fma(scale, shift).intoArray(o, oo + i);
        TAIL.affine(x, xo + i, o, oo + i, n - i, scale, shift);
    }

    /**
     * First half of erfc(u) with u = x * uScale (FloatMath.erfc's form): t = 1 / (1 + |u|/2) into
     * t[0, c) and the exp argument P(t) - u^2 into arg[ao, ao + c), for whole vectors.
     */
    private static void erfcArguments(float[] x, int xo, float uScale, float[] t, float[] arg, int ao, int c) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = 0; i < c; i += L) {
            FloatVector z = FloatVector.fromArray(S, x, xo + i).mul(uScale).abs();
            FloatVector tv = one.div(z.fma(0.5f, 1f));
            FloatVector p = tv.fma(0.17087277f, -0.82215223f);
            p = p.mul(tv).add(1.48851587f);
            p = p.mul(tv).add(-1.13520398f);
            p = p.mul(tv).add(0.27886807f);
            p = p.mul(tv).add(-0.18628806f);
            p = p.mul(tv).add(0.09678418f);
            p = p.mul(tv).add(0.37409196f);
            p = p.mul(tv).add(1.00002368f);
            p = p.mul(tv).add(-1.26551223f);
            tv.intoArray(t, i);
            p.sub(z.mul(z)).intoArray(arg, ao + i);
        }
    }

    @Override
    void gelu(float[] x, int xo, float[] o, int oo, int n) {
        int w = whole(n);
        float[] t = new float[Math.min(CHUNK, w)], e = new float[t.length];
        for (int s = 0; s < w; s += CHUNK) {
            int c = Math.min(CHUNK, w - s);
            erfcArguments(x, xo + s, -SQRT1_2, t, e, 0, c);
            expVectors(e, 0, e, 0, c, 1f, 0f);
            for (int i = 0; i < c; i += L) {
                // x/2 * erfc(-x/sqrt2); erfc(u) = r for u >= 0, 2 - r below
                FloatVector v = FloatVector.fromArray(S, x, xo + s + i);
                FloatVector r = FloatVector.fromArray(S, t, i).mul(FloatVector.fromArray(S, e, i));
                r = r.blend(FloatVector.broadcast(S, 2f).sub(r), v.mul(-SQRT1_2).lt(0f));
                v.mul(0.5f).mul(r).intoArray(o, oo + s + i);
            }
        }
        TAIL.gelu(x, xo + w, o, oo + w, n - w);
    }

    @Override
    void geluGrad(float[] x, int xo, float[] o, int oo, int n) {
        int w = whole(n);
        int chunk = Math.min(CHUNK, w);
        float[] t = new float[chunk], e = new float[2 * chunk];
        for (int s = 0; s < w; s += CHUNK) {
            int c = Math.min(CHUNK, w - s);
            // e[0, c): erfc's exp argument; e[c, 2c): -x^2/2 for the density
            erfcArguments(x, xo + s, -SQRT1_2, t, e, 0, c);
            for (int i = 0; i < c; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xo + s + i);
                v.mul(v).mul(-0.5f).intoArray(e, c + i);
            }
            expVectors(e, 0, e, 0, 2 * c, 1f, 0f);
            for (int i = 0; i < c; i += L) {
                // Phi(x) + x phi(x)
                FloatVector v = FloatVector.fromArray(S, x, xo + s + i);
                FloatVector r = FloatVector.fromArray(S, t, i).mul(FloatVector.fromArray(S, e, i));
                r = r.blend(FloatVector.broadcast(S, 2f).sub(r), v.mul(-SQRT1_2).lt(0f));
                FloatVector cdf = r.mul(0.5f);
                FloatVector pdf = FloatVector.fromArray(S, e, c + i).mul(INV_SQRT_2PI);
                v.fma(pdf, cdf).intoArray(o, oo + s + i);
            }
        }
        TAIL.geluGrad(x, xo + w, o, oo + w, n - w);
    }

    @Override
    void sigmoid(float[] x, int xo, float[] o, int oo, int n) {
        int w = whole(n);
        float[] e = new float[Math.min(CHUNK, w)];
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int s = 0; s < w; s += CHUNK) {
            int c = Math.min(CHUNK, w - s);
            for (int i = 0; i < c; i += L) FloatVector.fromArray(S, x, xo + s + i).neg().intoArray(e, i);
            expVectors(e, 0, e, 0, c, 1f, 0f);
            for (int i = 0; i < c; i += L) one.div(FloatVector.fromArray(S, e, i).add(1f)).intoArray(o, oo + s + i);
        }
        TAIL.sigmoid(x, xo + w, o, oo + w, n - w);
    }

    @Override
    void tanh(float[] x, int xo, float[] o, int oo, int n) {
        int w = whole(n);
        float[] e = new float[Math.min(CHUNK, w)];
        FloatVector one = FloatVector.broadcast(S, 1f), two = FloatVector.broadcast(S, 2f);
        for (int s = 0; s < w; s += CHUNK) {
            int c = Math.min(CHUNK, w - s);
            for (int i = 0; i < c; i += L) FloatVector.fromArray(S, x, xo + s + i).abs().mul(2f).intoArray(e, i);
            expVectors(e, 0, e, 0, c, 1f, 0f);
            for (int i = 0; i < c; i += L) {
                // tanh x = sign(x) (1 - 2 / (e^{2|x|} + 1)), stable for large |x|
                FloatVector v = FloatVector.fromArray(S, x, xo + s + i);
                FloatVector t = one.sub(two.div(FloatVector.fromArray(S, e, i).add(1f)));
                t = t.blend(t.neg(), v.lt(0f));
                // near 0 the form above cancels; the Taylor series to x^9 is exact to float precision for |x| < 0.25
                FloatVector x2 = v.mul(v);
                FloatVector poly = x2.fma(62f / 2835f, -17f / 315f).fma(x2, FloatVector.broadcast(S, 2f / 15f))
                        .fma(x2, FloatVector.broadcast(S, -1f / 3f)).mul(x2).mul(v).add(v);
                t.blend(poly, v.abs().lt(0.25f)).intoArray(o, oo + s + i);
            }
        }
        TAIL.tanh(x, xo + w, o, oo + w, n - w);
    }

    /**
     * The ReLU mask as a blend, lane by lane the scalar code's float operations (a multiply, then an add:
     * Java never fuses them), so the bits are the portable loop's; C2 does not vectorise that loop's
     * per-element branch (4x slower than the unmasked backward, BatchNormBenchmark).
     */
    @Override
    void reluMaskedGradSums(float[] g, int go, float[] x, int xo, float[] sc, float[] sh, float[] mt, float[] accG, float[] accGx, int n) {
        int w = whole(n);
        for (int i = 0; i < w; i += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + i), gv = FloatVector.fromArray(S, g, go + i);
            FloatVector y = xv.mul(FloatVector.fromArray(S, sc, i)).add(FloatVector.fromArray(S, sh, i));
            FloatVector gi = gv.mul(0f).blend(gv, y.compare(VectorOperators.GT, 0f));
            FloatVector.fromArray(S, accG, i).add(gi).intoArray(accG, i);
            FloatVector.fromArray(S, accGx, i).add(gi.mul(xv.sub(FloatVector.fromArray(S, mt, i)))).intoArray(accGx, i);
        }
        PortableArrayMath.reluMaskedGradSums(g, go, x, xo, sc, sh, mt, accG, accGx, w, n);
    }

    @Override
    void reluMaskedGradInput(float[] g, int go, float[] x, int xo, float[] sc, float[] sh, float[] mt, float[] a, float[] mb, float[] k,
                             float[] o, int oo, int n) {
        int w = whole(n);
        for (int i = 0; i < w; i += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + i), gv = FloatVector.fromArray(S, g, go + i);
            FloatVector y = xv.mul(FloatVector.fromArray(S, sc, i)).add(FloatVector.fromArray(S, sh, i));
            FloatVector gi = gv.mul(0f).blend(gv, y.compare(VectorOperators.GT, 0f));
            FloatVector d = xv.sub(FloatVector.fromArray(S, mt, i)).mul(FloatVector.fromArray(S, k, i));
            FloatVector.fromArray(S, a, i).mul(gi.sub(FloatVector.fromArray(S, mb, i)).sub(d)).intoArray(o, oo + i);
        }
        PortableArrayMath.reluMaskedGradInput(g, go, x, xo, sc, sh, mt, a, mb, k, o, oo, w, n);
    }
}
