package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;

import java.util.Arrays;
import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), exactly as torch.optim.AdamW: one fused
 * update per parameter through {@link Tensor#adamwInPlace}.
 */
public final class AdamW extends Optimizer {
    private final float beta1, beta2, eps;

    public AdamW(List<ParamGroup> groups, float beta1, float beta2, float eps) {
        super(groups);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("AdamW: betas must be in [0, 1), got (" + beta1 + ", " + beta2 + ")");
        }
        if (!(eps > 0)) throw new IllegalArgumentException("AdamW: eps must be positive, got " + eps);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /** betas (0.9, 0.999), eps 1e-8: PyTorch's defaults. */
    public AdamW(ParamGroup... groups) {
        this(Arrays.asList(groups), 0.9f, 0.999f, 1e-8f);
    }

    @Override
    protected void update(String name, Variable p, Tensor grad, ParamGroup g) {
        Tensor m = slot(name, "exp_avg", p), v = slot(name, "exp_avg_sq", p);
        Tensor stepT = state.computeIfAbsent(name + ".step", k -> TensorScope.escape(Tensor.fromIndices(new int[] {0})));
        int step = stepT.toIntArray()[0] + 1;
        stepT.copyFrom(Tensor.fromIndices(new int[] {step}));
        p.data().adamwInPlace(grad.contiguous(), m, v, (float) g.lr(), beta1, beta2, eps, (float) g.weightDecay(), step);
    }

    @Override
    protected boolean isScalarSlot(String slot) {
        return slot.equals("step");
    }
}
