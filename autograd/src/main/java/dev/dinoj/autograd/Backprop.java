package dev.dinoj.autograd;

import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The backprop engine: walks a recorded graph from its output in reverse topological order, applies
 * each node's rule (from {@link Derivatives}) and accumulates gradients into the leaves that require
 * them. Gradients it created are closed as soon as nothing needs them any more, so a step's memory
 * peaks at its activations, not at the activations plus every gradient computed.
 */
final class Backprop {
    private Backprop() {}

    /** Backpropagates {@code gradOutput} (of root's shape) from {@code root}; frees the graph unless {@code retainGraph}. */
    static void run(Variable root, Tensor gradOutput, boolean retainGraph) {
        List<Variable> order = topologicalOrder(root);
        Map<Variable, Tensor> pending = new IdentityHashMap<>();
        // Gradients this backward created, with how many pending slots hold each. The caller's gradOutput,
        // leaf gradients and anything a rule passes through unchanged are never in here, so never closed.
        Map<Tensor, Integer> holders = new IdentityHashMap<>();
        pending.put(root, gradOutput);
        try (GradMode.Scope ignored = GradMode.disabled()) {
            for (int i = order.size() - 1; i >= 0; i--) {
                Variable v = order.get(i);
                Tensor g = pending.remove(v);
                if (g == null) continue;
                if (v.node == null) {
                    if (v.requiresGrad) {
                        v.grad = v.grad == null ? g.contiguous() : v.grad.add(g);
                        if (v.grad == g) holders.remove(g); // the leaf keeps it
                    }
                    release(holders, g);
                    continue;
                }
                Node n = v.node;
                List<Tensor> fresh = new ArrayList<>(n.inputs.length);
                Tensor[] gs = applyInScope(n, g, fresh);
                for (Tensor t : fresh) holders.putIfAbsent(t, 0);
                for (int k = 0; k < gs.length; k++) {
                    Variable in = n.inputs[k];
                    if (in == null || !in.requiresGrad || gs[k] == null) continue;
                    if (!gs[k].shape().equals(in.data.shape())) {
                        throw new IllegalStateException("backward of " + n.op + ": gradient for input " + k + " has shape " + gs[k].shape()
                                + " but the input has shape " + in.data.shape());
                    }
                    Tensor before = pending.get(in);
                    if (before == null) {
                        pending.put(in, gs[k]);
                        holders.computeIfPresent(gs[k], (t, c) -> c + 1);
                    } else {
                        Tensor sum = before.add(gs[k]);
                        pending.put(in, sum);
                        holders.put(sum, 1);
                        release(holders, before);
                    }
                }
                for (Tensor t : fresh) {
                    Integer c = holders.get(t);
                    if (c != null && c == 0) { // returned, but only added into another gradient
                        holders.remove(t);
                        t.close();
                    }
                }
                release(holders, g);
                if (!retainGraph) n.free();
            }
        }
    }

    /**
     * Runs a node's backward rule in a scope of its own, so that its temporaries are closed at once; the
     * gradients it returns survive (handed to the enclosing scope), and those it created are added to
     * {@code fresh}.
     */
    private static Tensor[] applyInScope(Node n, Tensor g, List<Tensor> fresh) {
        try (TensorScope rule = TensorScope.open()) {
            Tensor[] gs = n.backward.apply(g);
            if (gs.length != n.inputs.length) {
                throw new IllegalStateException("backward of " + n.op + " returned " + gs.length + " gradients for " + n.inputs.length + " inputs");
            }
            for (Tensor t : gs) {
                if (t != null && rule.owns(t)) {
                    rule.keep(t);
                    fresh.add(t);
                }
            }
            return gs;
        }
    }

    /** One pending slot no longer holds t: close it when this backward created it and no other slot holds it. */
    private static void release(Map<Tensor, Integer> holders, Tensor t) {
        Integer c = holders.get(t);
        if (c == null) return;
        if (c > 1) {
            holders.put(t, c - 1);
        } else {
            holders.remove(t);
            t.close();
        }
    }

    /** Variables reachable from root, each after all of its inputs (iterative DFS: deep graphs do not overflow the stack). */
    private static List<Variable> topologicalOrder(Variable root) {
        List<Variable> order = new ArrayList<>();
        Map<Variable, Boolean> visited = new IdentityHashMap<>();
        Deque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        visited.put(root, true);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Variable v = (Variable) top[0];
            int next = (Integer) top[1];
            if (v.node != null && v.node.isFreed()) {
                throw new IllegalStateException("backward: the graph through " + v.node.op + " was already freed by an earlier backward;"
                        + " pass retainGraph=true to backpropagate twice");
            }
            Variable[] ins = v.node == null ? new Variable[0] : v.node.inputs;
            if (next < ins.length) {
                top[1] = next + 1;
                Variable in = ins[next];
                if (in != null && in.requiresGrad && visited.put(in, true) == null) stack.push(new Object[] {in, 0});
            } else {
                stack.pop();
                order.add(v);
            }
        }
        return order;
    }
}
