package dev.dinoj.nn;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * Finite-difference check of a module's gradients with respect to its input and every trainable
 * parameter, by the method of {@link dev.dinoj.autograd.GradCheck}: L = sum(w * forward(x)) with fixed
 * random w, central differences on a sample of elements, relative L2 error per tensor. The forward
 * function must be deterministic (reset the module's generator inside it when it uses dropout).
 */
public final class ModuleGradCheck {
    private final double eps, tolerance;
    private final int maxElements;

    public ModuleGradCheck(double eps, double tolerance, int maxElements) {
        this.eps = eps;
        this.tolerance = tolerance;
        this.maxElements = maxElements;
    }

    public static ModuleGradCheck defaults() {
        return new ModuleGradCheck(1e-2, 1e-2, 60);
    }

    /** Relative error per checked tensor ("input" and parameter names). */
    public Map<String, Double> errors(Module module, Function<Variable, Variable> forward, Tensor input) {
        module.zeroGrad();
        Variable x = Variable.leaf(input.copy());
        Variable out = forward.apply(x);
        Tensor w = Tensor.rand(new Generator(99), out.dims()).mul(2f).sub(1f);
        float[] wv = w.toFloatArray();
        out.backward(w);
        Map<String, Double> errors = new LinkedHashMap<>();
        Tensor in = input.copy();
        errors.put("input", compare(x.grad(), in, () -> loss(forward, in, wv)));
        for (Map.Entry<String, Variable> e : module.namedParameters().entrySet()) {
            Variable p = e.getValue();
            if (!p.requiresGrad()) continue;
            errors.put(e.getKey(), compare(p.grad(), p.data(), () -> loss(forward, in, wv)));
        }
        return errors;
    }

    /** Throws an AssertionError listing every tensor whose gradient is off by more than the tolerance. */
    public void check(Module module, Function<Variable, Variable> forward, Tensor input) {
        Map<String, Double> errors = errors(module, forward, input);
        StringBuilder bad = new StringBuilder();
        errors.forEach((k, v) -> {
            if (!(v <= tolerance)) bad.append(String.format(Locale.ROOT, " %s: %.3e;", k, v));
        });
        if (bad.length() > 0) {
            throw new AssertionError(module.getClass().getSimpleName() + " gradient check failed (tolerance " + tolerance + "):" + bad);
        }
    }

    private double compare(Tensor analyticT, Tensor target, java.util.function.DoubleSupplier loss) {
        float[] analytic = analyticT == null ? new float[(int) target.numel()] : analyticT.toFloatArray();
        float[] orig = target.toFloatArray();
        int n = orig.length, checks = Math.min(n, maxElements);
        Random pick = new Random(7);
        double diff2 = 0, num2 = 0, ana2 = 0;
        for (int c = 0; c < checks; c++) {
            int j = checks == n ? c : pick.nextInt(n);
            float hi = (float) (orig[j] + eps), lo = (float) (orig[j] - eps);
            double lHi = withValue(target, orig, j, hi, loss), lLo = withValue(target, orig, j, lo, loss);
            double numeric = (lHi - lLo) / ((double) hi - lo);
            double d = numeric - analytic[j];
            diff2 += d * d;
            num2 += numeric * numeric;
            ana2 += (double) analytic[j] * analytic[j];
        }
        return Math.sqrt(diff2) / Math.max(1e-6, Math.max(Math.sqrt(num2), Math.sqrt(ana2)));
    }

    private static double withValue(Tensor target, float[] orig, int j, float value, java.util.function.DoubleSupplier loss) {
        float[] v = orig.clone();
        v[j] = value;
        target.copyFrom(Tensor.fromArray(v, target.shape(), target.device()));
        try {
            return loss.getAsDouble();
        } finally {
            target.copyFrom(Tensor.fromArray(orig, target.shape(), target.device()));
        }
    }

    private static double loss(Function<Variable, Variable> forward, Tensor in, float[] w) {
        float[] out;
        try (GradMode.Scope ignored = GradMode.disabled()) {
            out = forward.apply(Variable.constant(in)).data().toFloatArray();
        }
        double s = 0;
        for (int k = 0; k < out.length; k++) s += (double) w[k] * out[k];
        return s;
    }
}
