package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.MultiTensorOps;
import dev.dinoj.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

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
        List<Tensor> grads = new ArrayList<>();
        List<Integer> index = new ArrayList<>();
        int at = 0;
        for (Variable p : params) {
            if (p.grad() != null) {
                grads.add(p.grad());
                index.add(at);
            }
            at++;
        }
        // on CUDA one launch for every norm and every scaling, and one read of the norms (not a sync per parameter)
        float[] n = MultiTensorOps.of(grads).clipPerTensor(grads, (float) clip);
        for (int j = 0; j < n.length; j++) norms[index.get(j)] = n[j];
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
