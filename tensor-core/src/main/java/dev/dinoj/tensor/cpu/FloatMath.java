package dev.dinoj.tensor.cpu;

/** Scalar special functions the JDK lacks, accurate to float32 precision. */
public final class FloatMath {
    private static final double SQRT1_2 = 0.7071067811865476;
    private static final double INV_SQRT_2PI = 0.3989422804014327;
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

    private FloatMath() {}

    /**
     * Complementary error function with relative error below 1.2e-7 everywhere (the Chebyshev-fitted
     * form of Numerical Recipes, "erfcc"); one exp.
     */
    public static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2.0 - r;
    }

    /** Error function: a Maclaurin series near 0 (where 1 - erfc would lose relative precision), else 1 - erfc. */
    public static double erf(double x) {
        if (Math.abs(x) < 0.5) {
            double x2 = x * x;
            // sum_n (-1)^n x^(2n+1) / (n! (2n+1)), n = 0..8: truncation error < 1e-11 relative for |x| < 0.5
            double term = x, sum = x;
            for (int n = 1; n <= 8; n++) {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            return TWO_OVER_SQRT_PI * sum;
        }
        return 1.0 - erfc(x);
    }

    /** Exact GELU, x * Phi(x), written with erfc so that the relative error stays small for negative x. */
    public static float gelu(float x) {
        return (float) (0.5 * x * erfc(-x * SQRT1_2));
    }

    /** d/dx [x * Phi(x)] = Phi(x) + x * phi(x). */
    public static float geluGrad(float x) {
        double cdf = 0.5 * erfc(-x * SQRT1_2);
        return (float) (cdf + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x));
    }
}
