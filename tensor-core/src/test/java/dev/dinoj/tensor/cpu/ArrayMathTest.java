package dev.dinoj.tensor.cpu;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Both ArrayMath implementations against scalar double references, on lengths around the vector width. */
class ArrayMathTest {
    private static List<ArrayMath> impls() {
        List<ArrayMath> l = new ArrayList<>();
        l.add(new PortableArrayMath());
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) l.add(new VectorArrayMath());
        return l;
    }

    private static double rel(float[] out, int oo, double[] ref) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = out[oo + i] - ref[i];
            num += d * d;
            den += ref[i] * ref[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }

    @Test
    void everyFunctionMatchesItsReference() {
        Random r = new Random(9);
        for (ArrayMath m : impls()) {
            for (int n : new int[] {1, 7, 15, 16, 17, 33, 197, 1000}) {
                float[] x = new float[n + 3];
                for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 4);
                float[] o = new float[n + 5];
                double[] ref = new double[n];
                for (int i = 0; i < n; i++) ref[i] = Math.exp(x[3 + i]);
                m.exp(x, 3, o, 5, n);
                assertThat(rel(o, 5, ref)).as("%s exp n=%d", m.name(), n).isLessThan(1e-6);
                for (int i = 0; i < n; i++) ref[i] = Math.exp(x[3 + i] * 0.5 - 1.0);
                double sum = m.expAffineSum(x, 3, o, 5, n, 0.5f, -1f);
                assertThat(rel(o, 5, ref)).isLessThan(1e-6);
                assertThat(sum).isCloseTo(java.util.Arrays.stream(ref).sum(), org.assertj.core.data.Offset.offset(1e-5 * Math.abs(sum)));
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < n; i++) max = Math.max(max, x[3 + i]);
                assertThat((double) m.max(x, 3, n)).isEqualTo(max);
                for (int i = 0; i < n; i++) {
                    double v = x[3 + i];
                    ref[i] = v * FloatMath.erfc(-v / Math.sqrt(2)) / 2;
                }
                m.gelu(x, 3, o, 5, n);
                assertThat(rel(o, 5, ref)).as("%s gelu n=%d", m.name(), n).isLessThan(1e-6);
                for (int i = 0; i < n; i++) {
                    double v = x[3 + i];
                    ref[i] = FloatMath.erfc(-v / Math.sqrt(2)) / 2 + v * Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI);
                }
                m.geluGrad(x, 3, o, 5, n);
                assertThat(rel(o, 5, ref)).as("%s geluGrad n=%d", m.name(), n).isLessThan(1e-6);
                for (int i = 0; i < n; i++) ref[i] = 1 / (1 + Math.exp(-x[3 + i]));
                m.sigmoid(x, 3, o, 5, n);
                assertThat(rel(o, 5, ref)).isLessThan(1e-6);
                for (int i = 0; i < n; i++) ref[i] = Math.tanh(x[3 + i]);
                m.tanh(x, 3, o, 5, n);
                assertThat(rel(o, 5, ref)).isLessThan(1e-6);
                for (int i = 0; i < n; i++) ref[i] = x[3 + i] * 2.0 - 0.5;
                m.affine(x, 3, o, 5, n, 2f, -0.5f);
                assertThat(rel(o, 5, ref)).isLessThan(1e-7);
            }
        }
    }

    @Test
    void maxPropagatesNaNInBothImplementations() {
        for (ArrayMath m : impls()) {
            float[] x = new float[40];
            x[33] = Float.NaN;
            assertThat(m.max(x, 0, 40)).isNaN();
            assertThat(m.max(x, 0, 33)).isZero();
        }
    }

    /**
     * The ReLU-masked batch-norm backward loops give the portable loops' bits on every implementation,
     * special values included: where x * sc + sh is not positive (NaN included) the gradient is g * 0,
     * a zero keeping g's sign (NaN and infinities of g give NaN).
     */
    @Test
    void reluMaskedBatchNormLoopsGiveThePortableBits() {
        Random r = new Random(13);
        PortableArrayMath portable = new PortableArrayMath();
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE};
        for (ArrayMath m : impls()) {
            for (int n : new int[] {1, 15, 16, 17, 100, 1024}) {
                float[] g = new float[n + 2], x = new float[n + 3], sc = new float[n], sh = new float[n], mt = new float[n];
                float[] a = new float[n], mb = new float[n], k = new float[n];
                for (int i = 0; i < g.length; i++) g[i] = i % 11 == 0 ? special[i % special.length] : (float) r.nextGaussian();
                for (int i = 0; i < x.length; i++) x[i] = i % 13 == 0 ? special[(i / 13) % special.length] : (float) r.nextGaussian();
                for (int i = 0; i < n; i++) {
                    sc[i] = (float) r.nextGaussian();
                    sh[i] = i % 9 == 0 ? -x[3 + i] * sc[i] : (float) r.nextGaussian();
                    mt[i] = (float) r.nextGaussian();
                    a[i] = (float) r.nextGaussian();
                    mb[i] = (float) r.nextGaussian();
                    k[i] = (float) r.nextGaussian();
                }
                float[] accG = new float[n], accGx = new float[n], wantG = new float[n], wantGx = new float[n];
                for (int i = 0; i < n; i++) accG[i] = wantG[i] = accGx[i] = wantGx[i] = (float) r.nextGaussian();
                m.reluMaskedGradSums(g, 2, x, 3, sc, sh, mt, accG, accGx, n);
                portable.reluMaskedGradSums(g, 2, x, 3, sc, sh, mt, wantG, wantGx, n);
                assertThat(accG).as("%s sums n=%d", m.name(), n).containsExactly(wantG);
                assertThat(accGx).as("%s sums n=%d", m.name(), n).containsExactly(wantGx);
                float[] o = new float[n + 1], want = new float[n + 1];
                m.reluMaskedGradInput(g, 2, x, 3, sc, sh, mt, a, mb, k, o, 1, n);
                portable.reluMaskedGradInput(g, 2, x, 3, sc, sh, mt, a, mb, k, want, 1, n);
                assertThat(o).as("%s input n=%d", m.name(), n).containsExactly(want);
            }
        }
        // the mask itself: a negative normalised value stops g, a positive one passes it
        float[] acc = new float[2], accX = new float[2];
        portable.reluMaskedGradSums(new float[] {-3f, -3f}, 0, new float[] {-1f, 1f}, 0, new float[] {1f, 1f}, new float[2],
                new float[2], acc, accX, 2);
        assertThat(acc).containsExactly(0f, -3f);
        assertThat(accX).containsExactly(0f, -3f);
    }
}
