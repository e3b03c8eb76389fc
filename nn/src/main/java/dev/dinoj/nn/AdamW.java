package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.MultiTensorOps;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), exactly as torch.optim.AdamW: one fused
 * update per parameter through {@link Tensor#adamwInPlace}, or one multi-tensor launch per group on a
 * device that has them ({@link dev.dinoj.tensor.Backend#multiTensor()}).
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
        p.data().adamwInPlace(grad.contiguous(), m, v, (float) g.lr(), beta1, beta2, eps, (float) g.weightDecay(), nextStep(name));
    }

    /**
     * One multi-tensor update per group and distinct step count (a parameter frozen for a while, like
     * DINO's last layer, has taken fewer steps than the rest): one launch on CUDA, a loop on the CPU.
     */
    @Override
    protected void updateGroup(ParamGroup g, Map<String, Variable> params) {
        List<Tensor> all = new ArrayList<>();
        for (Variable p : params.values()) {
            all.add(p.data());
            all.add(p.grad());
        }
        MultiTensorOps multi = MultiTensorOps.of(all);
        Map<Integer, List<String>> byStep = new TreeMap<>();
        for (Map.Entry<String, Variable> e : params.entrySet()) {
            String name = e.getKey();
            // the state's keys in the order update() creates them (exp_avg, exp_avg_sq, step), so a
            // checkpoint has the same key order on every device
            slot(name, "exp_avg", e.getValue());
            slot(name, "exp_avg_sq", e.getValue());
            byStep.computeIfAbsent(nextStep(name), k -> new ArrayList<>()).add(name);
        }
        for (Map.Entry<Integer, List<String>> bucket : byStep.entrySet()) {
            List<Tensor> ps = new ArrayList<>(), gs = new ArrayList<>(), ms = new ArrayList<>(), vs = new ArrayList<>();
            for (String name : bucket.getValue()) {
                Variable p = params.get(name);
                ps.add(p.data());
                gs.add(p.grad());
                ms.add(slot(name, "exp_avg", p));
                vs.add(slot(name, "exp_avg_sq", p));
            }
            multi.adamw(ps, gs, ms, vs, (float) g.lr(), beta1, beta2, eps, (float) g.weightDecay(), bucket.getKey());
        }
    }

    /** Advances and returns the parameter's step count (a CPU scalar slot, saved with the state). */
    private int nextStep(String name) {
        Tensor stepT = state.computeIfAbsent(name + ".step", k -> TensorScope.escape(Tensor.fromIndices(new int[] {0})));
        int step = stepT.toIntArray()[0] + 1;
        stepT.copyFrom(Tensor.fromIndices(new int[] {step}));
        return step;
    }

    @Override
    protected boolean isScalarSlot(String slot) {
        return slot.equals("step");
    }
}
