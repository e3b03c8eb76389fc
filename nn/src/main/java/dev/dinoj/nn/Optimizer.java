package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Updates parameters from their gradients. State (moments, step counts) is kept per parameter name,
 * and {@link #stateDict()} / {@link #loadStateDict} carry it through checkpoints.
 */
public abstract class Optimizer {
    private final List<ParamGroup> groups;
    /** Per-parameter state tensors by "name.slot". */
    protected final Map<String, Tensor> state = new LinkedHashMap<>();

    protected Optimizer(List<ParamGroup> groups) {
        Set<String> seen = new HashSet<>();
        for (ParamGroup g : groups) {
            for (String n : g.params().keySet()) {
                if (!seen.add(n)) throw new IllegalArgumentException(getClass().getSimpleName() + ": parameter '" + n + "' is in two groups");
            }
        }
        this.groups = List.copyOf(groups);
    }

    public final List<ParamGroup> groups() {
        return groups;
    }

    /** Applies one update to every parameter that has a gradient. */
    public final void step() {
        for (ParamGroup g : groups) {
            Map<String, Variable> withGrad = new LinkedHashMap<>();
            for (Map.Entry<String, Variable> e : g.params().entrySet()) {
                Variable p = e.getValue();
                if (p.grad() != null && p.requiresGrad()) withGrad.put(e.getKey(), p);
            }
            if (!withGrad.isEmpty()) updateGroup(g, withGrad);
        }
    }

    /**
     * Updates the parameters of one group that have gradients (in the group's order). The default
     * updates them one by one; an optimizer may update a whole group at once (one multi-tensor launch).
     */
    protected void updateGroup(ParamGroup group, Map<String, Variable> params) {
        for (Map.Entry<String, Variable> e : params.entrySet()) update(e.getKey(), e.getValue(), e.getValue().grad(), group);
    }

    protected abstract void update(String name, Variable param, Tensor grad, ParamGroup group);

    /** Closes every state tensor (giving device memory back at once); the optimizer starts from scratch afterwards. */
    public final void clearState() {
        for (Tensor t : state.values()) t.close();
        state.clear();
    }

    public final void zeroGrad() {
        for (ParamGroup g : groups) for (Variable p : g.params().values()) p.zeroGrad();
    }

    /** A state tensor of a parameter, created as zeros (parameter's shape and device) on first use. */
    protected final Tensor slot(String param, String slot, Variable like) {
        return state.computeIfAbsent(param + "." + slot, k -> TensorScope.escape(Tensor.zeros(like.shape(), like.data().device())));
    }

    /** Copies of the optimizer state by "param.slot". */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.copy()));
        return out;
    }

    /** Restores state saved by {@link #stateDict()}; every key must belong to a known parameter with the right shape. */
    public final void loadStateDict(Map<String, Tensor> saved) {
        Map<String, Variable> params = new LinkedHashMap<>();
        for (ParamGroup g : groups) params.putAll(g.params());
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : saved.entrySet()) {
            String key = e.getKey();
            int dot = key.lastIndexOf('.');
            Variable p = dot < 0 ? null : params.get(key.substring(0, dot));
            if (p == null) {
                problems.add("'" + key + "' names no parameter of this optimizer");
            } else if (!isScalarSlot(key.substring(dot + 1)) && !e.getValue().shape().equals(p.shape())) {
                problems.add("'" + key + "' has shape " + e.getValue().shape() + " but the parameter has " + p.shape());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".loadStateDict: " + String.join("; ", problems));
        }
        state.values().forEach(Tensor::close);
        state.clear();
        for (Map.Entry<String, Tensor> e : saved.entrySet()) {
            String key = e.getKey();
            Variable p = params.get(key.substring(0, key.lastIndexOf('.')));
            // scalar slots (step counts) stay on the CPU, where they are read every step
            Device where = isScalarSlot(key.substring(key.lastIndexOf('.') + 1)) ? Device.CPU : p.data().device();
            try (TensorScope copying = TensorScope.open()) {
                state.put(key, TensorScope.escape(e.getValue().to(where).copy()));
            }
        }
    }

    /** Slots that hold one value (a step count) rather than a parameter-shaped tensor. */
    protected boolean isScalarSlot(String slot) {
        return false;
    }
}
