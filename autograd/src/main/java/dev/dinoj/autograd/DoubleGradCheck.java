package dev.dinoj.autograd;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;

import java.util.Locale;
import java.util.Random;

/**
 * Gradient check against a double-precision reference of the op's formula. {@link GradCheck}
 * differentiates the float32 forward numerically, which limits it to about 1e-3 and so to a 1e-2
 * tolerance: a derivative off by a few tenths of a percent passes. Here the numeric side is central
 * differences of a reference written in double ({@link DoubleArray}) at the same point (the float32
 * inputs widened exactly), accurate to about 1e-9, so the only error left is the float32 rounding of
 * the analytic gradient (1e-8 to 1e-7 measured on every rule): the tolerance is 1e-5, and a 0.01% error
 * in a backward rule fails. The reference's forward is also compared with the op's, so both describe
 * the same function.
 */
public final class DoubleGradCheck {
    /** The op's formula in double precision. */
    @FunctionalInterface
    public interface Reference {
        DoubleArray apply(DoubleArray... inputs);
    }

    /** How far the op is from its reference: forward values and the worst input's gradient, both relative L2. */
    public record Errors(double forward, double gradient) {}

    private final double eps;
    private final double forwardTolerance;
    private final double gradientTolerance;
    private final int maxElementsPerInput;
    private final long seed;

    private DoubleGradCheck(double eps, double forwardTolerance, double gradientTolerance, int maxElementsPerInput, long seed) {
        this.eps = eps;
        this.forwardTolerance = forwardTolerance;
        this.gradientTolerance = gradientTolerance;
        this.maxElementsPerInput = maxElementsPerInput;
        this.seed = seed;
    }

    /** Step 1e-6 (relative to max(1, |x|)), forward and gradient tolerance 1e-5, up to 300 elements per input. */
    public static DoubleGradCheck defaults() {
        return new DoubleGradCheck(1e-6, 1e-5, 1e-5, 300, 4321);
    }

    public DoubleGradCheck gradientTolerance(double t) {
        return new DoubleGradCheck(eps, forwardTolerance, t, maxElementsPerInput, seed);
    }

    public DoubleGradCheck forwardTolerance(double t) {
        return new DoubleGradCheck(eps, t, gradientTolerance, maxElementsPerInput, seed);
    }

    public DoubleGradCheck maxElementsPerInput(int n) {
        return new DoubleGradCheck(eps, forwardTolerance, gradientTolerance, n, seed);
    }

    public Errors measure(GradCheck.Function op, Reference reference, Tensor... inputs) {
        Variable[] leaves = new Variable[inputs.length];
        DoubleArray[] at = new DoubleArray[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            leaves[i] = Variable.leaf(inputs[i].copy());
            at[i] = DoubleArray.of(inputs[i]);
        }
        Variable out = op.apply(leaves);
        DoubleArray expected = reference.apply(at);
        if (!java.util.Arrays.equals(expected.shape(), out.dims())) {
            throw new AssertionError("the reference's shape " + java.util.Arrays.toString(expected.shape())
                    + " is not the op's " + java.util.Arrays.toString(out.dims()));
        }
        double forward = relativeError(DoubleArray.of(out.data()).values(), expected.values());

        Tensor w = Tensor.rand(new Generator(seed), out.dims()).mul(2f).sub(1f);
        out.backward(w);
        DoubleArray weights = DoubleArray.of(w);
        Random pick = new Random(seed);
        double worst = 0;
        for (int i = 0; i < inputs.length; i++) {
            Tensor g = leaves[i].grad();
            float[] analytic = g == null ? new float[(int) inputs[i].numel()] : g.toFloatArray();
            double[] x = at[i].values();
            int n = x.length, checks = Math.min(n, maxElementsPerInput);
            double[] numeric = new double[checks], ana = new double[checks];
            for (int c = 0; c < checks; c++) {
                int j = checks == n ? c : pick.nextInt(n);
                double h = eps * Math.max(1, Math.abs(x[j]));
                numeric[c] = (loss(reference, at, i, x, j, x[j] + h, weights) - loss(reference, at, i, x, j, x[j] - h, weights)) / (2 * h);
                ana[c] = analytic[j];
            }
            worst = Math.max(worst, relativeError(ana, numeric));
        }
        return new Errors(forward, worst);
    }

    /** Throws an AssertionError naming the error and its tolerance when the op and its reference disagree. */
    public void check(GradCheck.Function op, Reference reference, Tensor... inputs) {
        Errors e = measure(op, reference, inputs);
        if (!(e.forward() <= forwardTolerance)) {
            throw new AssertionError(String.format(Locale.ROOT,
                    "the op's values differ from the double reference: relative error %.3e exceeds %.1e", e.forward(), forwardTolerance));
        }
        if (!(e.gradient() <= gradientTolerance)) {
            throw new AssertionError(String.format(Locale.ROOT,
                    "gradient check failed: relative error %.3e against the double reference exceeds tolerance %.1e", e.gradient(), gradientTolerance));
        }
    }

    private static double loss(Reference reference, DoubleArray[] at, int which, double[] x, int j, double value, DoubleArray w) {
        double[] moved = x.clone();
        moved[j] = value;
        DoubleArray[] args = at.clone();
        args[which] = new DoubleArray(moved, at[which].shape());
        return reference.apply(args).mul(w).sum();
    }

    /** ||a - b|| / max(||a||, ||b||, 1e-12). */
    private static double relativeError(double[] a, double[] b) {
        double d2 = 0, a2 = 0, b2 = 0;
        for (int k = 0; k < a.length; k++) {
            d2 += (a[k] - b[k]) * (a[k] - b[k]);
            a2 += a[k] * a[k];
            b2 += b[k] * b[k];
        }
        return Math.sqrt(d2) / Math.max(1e-12, Math.max(Math.sqrt(a2), Math.sqrt(b2)));
    }
}
