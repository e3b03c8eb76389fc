package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

import java.util.Collection;

/** Gradient clipping, in place on the parameters' gradients. */
public final class GradClip {
    private GradClip() {}

    /**
     * Clips each parameter's gradient to L2 norm {@code clip} separately (the reference DINO's
     * clip_gradients): g *= clip / (||g|| + 1e-6) when that factor is below 1. Returns the norms before clipping.
     */
    public static double[] perParameter(Collection<Variable> params, double clip) {
        if (!(clip > 0)) throw new IllegalArgumentException("gradient clip must be positive, got " + clip);
        double[] norms = new double[params.size()];
        int i = 0;
        for (Variable p : params) {
            Tensor g = p.grad();
            if (g == null) {
                i++;
                continue;
            }
            double n = g.norm().item();
            norms[i++] = n;
            double coef = clip / (n + 1e-6);
            if (coef < 1) g.mulInPlace((float) coef);
        }
        return norms;
    }

    /**
     * Clips all gradients together to a global L2 norm of at most {@code maxNorm} (torch's
     * clip_grad_norm_). Returns the global norm before clipping.
     */
    public static double globalNorm(Collection<Variable> params, double maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("max norm must be positive, got " + maxNorm);
        double total = 0;
        for (Variable p : params) {
            if (p.grad() == null) continue;
            double n = p.grad().norm().item();
            total += n * n;
        }
        total = Math.sqrt(total);
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1) {
            for (Variable p : params) if (p.grad() != null) p.grad().mulInPlace((float) coef);
        }
        return total;
    }
}
