package dev.dinoj.autograd;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;

import java.util.Locale;
import java.util.Random;

/**
 * Finite-difference gradient checker for any differentiable function of tensors. It reduces the
 * output to a scalar L = sum(w * f(x)) with fixed random weights w, backpropagates w to get the
 * analytic dL/dx, and compares it with central differences (L(x + eps) - L(x - eps)) / (2 eps) per
 * element, where L is summed in double. Float32 forward passes limit the accuracy to about 1e-3
 * relative, far below the 1e-1 a wrong factor or a dropped term produces.
 */
public final class GradCheck {
    /** A differentiable function of some tensors. */
    @FunctionalInterface
    public interface Function {
        Variable apply(Variable... inputs);
    }

    private final double eps;
    private final double tolerance;
    private final int maxElementsPerInput;
    private final long seed;

    private GradCheck(double eps, double tolerance, int maxElementsPerInput, long seed) {
        this.eps = eps;
        this.tolerance = tolerance;
        this.maxElementsPerInput = maxElementsPerInput;
        this.seed = seed;
    }

    /** eps 1e-2, tolerance 1e-2 (relative L2 error of each input's gradient), up to 200 elements checked per input. */
    public static GradCheck defaults() {
        return new GradCheck(1e-2, 1e-2, 200, 1234);
    }

    public GradCheck eps(double e) {
        return new GradCheck(e, tolerance, maxElementsPerInput, seed);
    }

    public GradCheck tolerance(double t) {
        return new GradCheck(eps, t, maxElementsPerInput, seed);
    }

    public GradCheck maxElementsPerInput(int n) {
        return new GradCheck(eps, tolerance, n, seed);
    }

    /** The largest relative error over the inputs: ||numeric - analytic|| / max(||numeric||, ||analytic||, 1e-6). */
    public double maxRelativeError(Function f, Tensor... inputs) {
        Variable[] leaves = new Variable[inputs.length];
        for (int i = 0; i < inputs.length; i++) leaves[i] = Variable.leaf(inputs[i].copy());
        Variable out = f.apply(leaves);
        Tensor w = Tensor.rand(new Generator(seed), out.dims()).mul(2f).sub(1f);
        out.backward(w);
        float[] wv = w.toFloatArray();
        double worst = 0;
        Random pick = new Random(seed);
        for (int i = 0; i < inputs.length; i++) {
            Tensor g = leaves[i].grad();
            float[] analytic = g == null ? new float[(int) inputs[i].numel()] : g.toFloatArray();
            float[] x = inputs[i].toFloatArray();
            int n = x.length;
            int checks = Math.min(n, maxElementsPerInput);
            double num2 = 0, diff2 = 0, ana2 = 0;
            for (int c = 0; c < checks; c++) {
                int j = checks == n ? c : pick.nextInt(n);
                float hi = (float) (x[j] + eps), lo = (float) (x[j] - eps);
                double numeric = (loss(f, inputs, i, x, j, hi, wv) - loss(f, inputs, i, x, j, lo, wv)) / ((double) hi - lo);
                double d = numeric - analytic[j];
                num2 += numeric * numeric;
                ana2 += (double) analytic[j] * analytic[j];
                diff2 += d * d;
            }
            double rel = Math.sqrt(diff2) / Math.max(1e-6, Math.max(Math.sqrt(num2), Math.sqrt(ana2)));
            worst = Math.max(worst, rel);
        }
        return worst;
    }

    /** Throws an AssertionError naming the error and the tolerance when the gradients disagree. */
    public void check(Function f, Tensor... inputs) {
        double e = maxRelativeError(f, inputs);
        if (!(e <= tolerance)) {
            throw new AssertionError(String.format(Locale.ROOT,
                    "gradient check failed: relative error %.3e exceeds tolerance %.1e (eps %.1e)", e, tolerance, eps));
        }
    }

    private static double loss(Function f, Tensor[] inputs, int which, float[] x, int j, float value, float[] w) {
        float[] xp = x.clone();
        xp[j] = value;
        Variable[] vs = new Variable[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            Tensor t = i == which ? Tensor.fromArray(xp, inputs[i].shape(), inputs[i].device()) : inputs[i];
            vs[i] = Variable.constant(t);
        }
        float[] out;
        try (GradMode.Scope ignored = GradMode.disabled()) {
            out = f.apply(vs).data().toFloatArray();
        }
        double s = 0;
        for (int k = 0; k < out.length; k++) s += (double) w[k] * out[k];
        return s;
    }
}
