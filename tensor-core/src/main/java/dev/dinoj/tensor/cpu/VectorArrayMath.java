package dev.dinoj.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ArrayMath} on the Vector API: EXP and TANH are the JDK's SIMD intrinsics; erfc uses the same
 * Chebyshev-fitted form as {@link FloatMath#erfc} (one exp, relative error below 1.2e-7) evaluated in
 * float lanes. Tails shorter than a vector go through the scalar code.
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

    @Override
    void exp(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(S, x, xo + i).lanewise(VectorOperators.EXP).intoArray(o, oo + i);
        TAIL.exp(x, xo + i, o, oo + i, n - i);
    }

    @Override
    double expAffineSum(float[] x, int xo, float[] o, int oo, int n, float scale, float shift) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector e = FloatVector.fromArray(S, x, xo + i).fma(scale, shift).lanewise(VectorOperators.EXP);
            e.intoArray(o, oo + i);
            acc = acc.add(e);
        }
        return acc.reduceLanes(VectorOperators.ADD) + TAIL.expAffineSum(x, xo + i, o, oo + i, n - i, scale, shift);
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
        FloatVector r = t.mul(p.sub(z.mul(z)).lanewise(VectorOperators.EXP));
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
            FloatVector pdf = v.mul(v).mul(-0.5f).lanewise(VectorOperators.EXP).mul(INV_SQRT_2PI);
            v.fma(pdf, cdf).intoArray(o, oo + i);
        }
        TAIL.geluGrad(x, xo + i, o, oo + i, n - i);
    }

    @Override
    void sigmoid(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (; i <= n - L; i += L) {
            FloatVector e = FloatVector.fromArray(S, x, xo + i).neg().lanewise(VectorOperators.EXP);
            one.div(e.add(1f)).intoArray(o, oo + i);
        }
        TAIL.sigmoid(x, xo + i, o, oo + i, n - i);
    }

    @Override
    void tanh(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(S, x, xo + i).lanewise(VectorOperators.TANH).intoArray(o, oo + i);
        TAIL.tanh(x, xo + i, o, oo + i, n - i);
    }
}
