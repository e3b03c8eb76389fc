package dev.dinoj.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
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
 */
final class VectorArrayMath extends ArrayMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final PortableArrayMath TAIL = new PortableArrayMath();
    private static final float SQRT1_2 = 0.70710678f, INV_SQRT_2PI = 0.39894228f;

    @Override
    String name() {
        return "vector-" + S.vectorBitSize();
    }

    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to the nearest integer. */
    private static final float ROUNDER = 12582912f;

    /** e^x per lane; inputs are clamped to [-87.3, 88.7], so the result is finite and positive. */
    static FloatVector exp(FloatVector x) {
        FloatVector v = x.max(-87.3f).min(88.7f);
        FloatVector k = v.fma(LOG2E, ROUNDER).sub(ROUNDER);
        FloatVector r = v.sub(k.mul(LN2_HI)).sub(k.mul(LN2_LO));
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(r, FloatVector.broadcast(S, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(S, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(S, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(S, 5.0000001201e-1f));
        FloatVector er = p.mul(r.mul(r)).add(r).add(1f);
        IntVector bits = ((IntVector) k.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return er.mul(bits.reinterpretAsFloats());
    }

    @Override
    void exp(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) exp(FloatVector.fromArray(S, x, xo + i)).intoArray(o, oo + i);
        TAIL.exp(x, xo + i, o, oo + i, n - i);
    }

    @Override
    double expAffineSum(float[] x, int xo, float[] o, int oo, int n, float scale, float shift) {
        double sum = 0;
        int i = 0;
        for (; i <= n - L; i += L) {
            exp(FloatVector.fromArray(S, x, xo + i).fma(scale, shift)).intoArray(o, oo + i);
        }
        for (int j = 0; j < i; j++) sum += o[oo + j];
        return sum + TAIL.expAffineSum(x, xo + i, o, oo + i, n - i, scale, shift);
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

    /** erfc(u) for a vector, as FloatMath.erfc. */
    private static FloatVector erfc(FloatVector u) {
        FloatVector z = u.abs();
        FloatVector t = FloatVector.broadcast(S, 1f).div(z.fma(0.5f, 1f));
        FloatVector p = t.fma(0.17087277f, -0.82215223f);
        p = p.mul(t).add(1.48851587f);
        p = p.mul(t).add(-1.13520398f);
        p = p.mul(t).add(0.27886807f);
        p = p.mul(t).add(-0.18628806f);
        p = p.mul(t).add(0.09678418f);
        p = p.mul(t).add(0.37409196f);
        p = p.mul(t).add(1.00002368f);
        p = p.mul(t).add(-1.26551223f);
        FloatVector r = t.mul(exp(p.sub(z.mul(z))));
        VectorMask<Float> negative = u.lt(0f);
        return r.blend(FloatVector.broadcast(S, 2f).sub(r), negative);
    }

    @Override
    void gelu(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v.mul(0.5f).mul(erfc(v.mul(-SQRT1_2))).intoArray(o, oo + i);
        }
        TAIL.gelu(x, xo + i, o, oo + i, n - i);
    }

    @Override
    void geluGrad(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector cdf = erfc(v.mul(-SQRT1_2)).mul(0.5f);
            FloatVector pdf = exp(v.mul(v).mul(-0.5f)).mul(INV_SQRT_2PI);
            v.fma(pdf, cdf).intoArray(o, oo + i);
        }
        TAIL.geluGrad(x, xo + i, o, oo + i, n - i);
    }

    @Override
    void sigmoid(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (; i <= n - L; i += L) {
            FloatVector e = exp(FloatVector.fromArray(S, x, xo + i).neg());
            one.div(e.add(1f)).intoArray(o, oo + i);
        }
        TAIL.sigmoid(x, xo + i, o, oo + i, n - i);
    }

    @Override
    void tanh(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        FloatVector one = FloatVector.broadcast(S, 1f), two = FloatVector.broadcast(S, 2f);
        for (; i <= n - L; i += L) {
            // tanh x = sign(x) (1 - 2 / (e^{2|x|} + 1)), stable for large |x|
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector t = one.sub(two.div(exp(v.abs().mul(2f)).add(1f)));
            t = t.blend(t.neg(), v.lt(0f));
            // near 0 the form above cancels; the Taylor series to x^9 is exact to float precision for |x| < 0.25
            FloatVector x2 = v.mul(v);
            FloatVector poly = x2.fma(62f / 2835f, -17f / 315f).fma(x2, FloatVector.broadcast(S, 2f / 15f))
                    .fma(x2, FloatVector.broadcast(S, -1f / 3f)).mul(x2).mul(v).add(v);
            t.blend(poly, v.abs().lt(0.25f)).intoArray(o, oo + i);
        }
        TAIL.tanh(x, xo + i, o, oo + i, n - i);
    }
}
