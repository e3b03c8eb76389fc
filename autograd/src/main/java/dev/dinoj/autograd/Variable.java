package dev.dinoj.autograd;

import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.LayerNormResult;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tensor in a differentiable computation. Ops on variables compute with {@link Tensor} and, while
 * {@link GradMode} is enabled and some input requires a gradient, record a node holding the op's
 * backward rule; {@link #backward()} walks the recorded graph in reverse topological order and
 * accumulates gradients into the leaves that require them. Each op's backward rule sits next to its
 * forward below.
 */
public final class Variable {
    private Tensor data;
    private boolean requiresGrad;
    private Tensor grad;
    private Node node;

    private Variable(Tensor data, boolean requiresGrad, Node node) {
        this.data = data;
        this.requiresGrad = requiresGrad;
        this.node = node;
    }

    /** A constant: no gradient flows into it. */
    public static Variable constant(Tensor data) {
        return new Variable(data, false, null);
    }

    /** A leaf whose gradient is accumulated by backward (a parameter, or an input being differentiated). */
    public static Variable leaf(Tensor data) {
        if (!data.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("leaf: only floating-point tensors can require gradients, got " + data.describe());
        }
        return new Variable(data, true, null);
    }

    /**
     * The result of a custom op: {@code output} was computed from {@code inputs}, and {@code backward}
     * maps the output's gradient to theirs. Records the op only when gradients are needed.
     */
    public static Variable fromOp(String op, Tensor output, Backward backward, Variable... inputs) {
        if (!GradMode.isEnabled()) return new Variable(output, false, null);
        for (Variable in : inputs) {
            if (in != null && in.requiresGrad) return new Variable(output, true, new Node(op, inputs, backward));
        }
        return new Variable(output, false, null);
    }

    public Tensor data() {
        return data;
    }

    /** The accumulated gradient of a leaf (null before the first backward or after zeroGrad). */
    public Tensor grad() {
        return grad;
    }

    public void setGrad(Tensor g) {
        if (g != null && !g.shape().equals(data.shape())) {
            throw new IllegalArgumentException("setGrad: gradient shape " + g.shape() + " does not match variable shape " + data.shape());
        }
        grad = g;
    }

    public void zeroGrad() {
        grad = null;
    }

    /**
     * Moves a leaf (a parameter) to another device: its data is replaced by a copy there and the old
     * tensor closed, its gradient dropped. Modules use this to place their parameters; an op result
     * cannot be moved (its graph refers to the old data).
     */
    public void moveTo(Device device) {
        if (node != null) throw new IllegalStateException("moveTo: only leaves can be moved, not the result of " + node.op);
        if (data.device().equals(device)) return;
        Tensor moved = TensorScope.escape(data.to(device));
        data.close();
        data = moved;
        grad = null;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Turns gradient tracking of a leaf on or off (freezing a parameter). */
    public Variable requiresGrad(boolean on) {
        if (node != null) throw new IllegalStateException("requiresGrad: only leaves can change it; this variable is the output of " + node.op);
        requiresGrad = on;
        return this;
    }

    public boolean isLeaf() {
        return node == null;
    }

    /** The same values cut from the graph: gradients stop here (DINO's teacher outputs). */
    public Variable detach() {
        return new Variable(data, false, null);
    }

    public Shape shape() {
        return data.shape();
    }

    public int[] dims() {
        return data.dims();
    }

    public int size(int dim) {
        return data.size(dim);
    }

    public int rank() {
        return data.rank();
    }

    public float item() {
        return data.item();
    }

    // ------------------------------------------------------------------ backward

    /** Backpropagates from a one-element output (the loss). */
    public void backward() {
        if (data.numel() != 1) {
            throw new IllegalArgumentException("backward: the output has shape " + data.shape()
                    + "; pass its gradient explicitly with backward(gradOutput) unless it is a single value");
        }
        backward(Tensor.full(data.shape(), 1f, data.device()), false);
    }

    public void backward(Tensor gradOutput) {
        backward(gradOutput, false);
    }

    /**
     * Backpropagates {@code gradOutput} (of this variable's shape) through the recorded graph, adding
     * into {@link #grad()} of every leaf that requires a gradient. The graph is freed afterwards unless
     * {@code retainGraph}.
     */
    public void backward(Tensor gradOutput, boolean retainGraph) {
        if (!requiresGrad) {
            throw new IllegalStateException("backward: this variable does not require a gradient (no input of its graph does, "
                    + "or it was computed under GradMode.disabled() or detached)");
        }
        if (!gradOutput.shape().equals(data.shape())) {
            throw new IllegalArgumentException("backward: gradient shape " + gradOutput.shape() + " does not match output shape " + data.shape());
        }
        List<Variable> order = topologicalOrder();
        Map<Variable, Tensor> pending = new IdentityHashMap<>();
        // Gradients this backward created, with how many pending slots hold each: one is closed as soon as
        // nothing needs it any more, so a step's memory peaks at its activations, not at the activations
        // plus every gradient computed. The caller's gradOutput, leaf gradients and anything a rule passes
        // through unchanged are never in here, so never closed.
        Map<Tensor, Integer> holders = new IdentityHashMap<>();
        pending.put(this, gradOutput);
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

    /** Variables reachable from this one, each after all of its inputs (iterative DFS: deep graphs do not overflow the stack). */
    private List<Variable> topologicalOrder() {
        List<Variable> order = new ArrayList<>();
        Map<Variable, Boolean> visited = new IdentityHashMap<>();
        Deque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {this, 0});
        visited.put(this, true);
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

    // ------------------------------------------------------------------ helpers for backward rules

    /** Sums a broadcast gradient back to the shape of the input it came from. */
    public static Tensor sumTo(Tensor g, Shape target) {
        if (g.shape().equals(target)) return g;
        int lead = g.rank() - target.rank();
        List<Integer> dims = new ArrayList<>();
        for (int d = 0; d < g.rank(); d++) {
            if (d < lead || (target.size(d - lead) == 1 && g.size(d) != 1)) dims.add(d);
        }
        Tensor s = dims.isEmpty() ? g : g.sum(dims.stream().mapToInt(Integer::intValue).toArray(), true);
        return s.reshape(target.toArray());
    }

    // ------------------------------------------------------------------ elementwise

    public Variable add(Variable o) {
        Shape a = shape(), b = o.shape();
        return fromOp("add", data.add(o.data), g -> new Tensor[] {sumTo(g, a), sumTo(g, b)}, this, o);
    }

    public Variable sub(Variable o) {
        Shape a = shape(), b = o.shape();
        return fromOp("sub", data.sub(o.data), g -> new Tensor[] {sumTo(g, a), sumTo(g, b).neg()}, this, o);
    }

    public Variable mul(Variable o) {
        Shape a = shape(), b = o.shape();
        return fromOp("mul", data.mul(o.data), g -> new Tensor[] {
            requiresGrad ? sumTo(g.mul(o.data), a) : null,
            o.requiresGrad ? sumTo(g.mul(data), b) : null}, this, o);
    }

    public Variable div(Variable o) {
        Shape a = shape(), b = o.shape();
        Tensor out = data.div(o.data);
        return fromOp("div", out, g -> new Tensor[] {
            requiresGrad ? sumTo(g.div(o.data), a) : null,
            o.requiresGrad ? sumTo(g.mul(out).div(o.data).neg(), b) : null}, this, o);
    }

    public Variable add(float s) {
        return fromOp("add", data.add(s), g -> new Tensor[] {g}, this);
    }

    public Variable sub(float s) {
        return fromOp("sub", data.sub(s), g -> new Tensor[] {g}, this);
    }

    public Variable mul(float s) {
        return fromOp("mul", data.mul(s), g -> new Tensor[] {g.mul(s)}, this);
    }

    public Variable div(float s) {
        return fromOp("div", data.div(s), g -> new Tensor[] {g.div(s)}, this);
    }

    public Variable neg() {
        return fromOp("neg", data.neg(), g -> new Tensor[] {g.neg()}, this);
    }

    public Variable exp() {
        Tensor out = data.exp();
        return fromOp("exp", out, g -> new Tensor[] {g.mul(out)}, this);
    }

    public Variable log() {
        return fromOp("log", data.log(), g -> new Tensor[] {g.div(data)}, this);
    }

    public Variable sqrt() {
        Tensor out = data.sqrt();
        return fromOp("sqrt", out, g -> new Tensor[] {g.div(out).mul(0.5f)}, this);
    }

    public Variable rsqrt() {
        Tensor out = data.rsqrt();
        return fromOp("rsqrt", out, g -> new Tensor[] {g.mul(out.pow(3f)).mul(-0.5f)}, this);
    }

    public Variable pow(float e) {
        return fromOp("pow", data.pow(e), g -> new Tensor[] {g.mul(data.pow(e - 1)).mul(e)}, this);
    }

    public Variable square() {
        return fromOp("square", data.square(), g -> new Tensor[] {g.mul(data).mul(2f)}, this);
    }

    public Variable abs() {
        return fromOp("abs", data.abs(), g -> new Tensor[] {g.mul(data.sign())}, this);
    }

    public Variable tanh() {
        Tensor out = data.tanh();
        return fromOp("tanh", out, g -> new Tensor[] {g.mul(out.square().neg().add(1f))}, this);
    }

    public Variable sigmoid() {
        Tensor out = data.sigmoid();
        return fromOp("sigmoid", out, g -> new Tensor[] {g.mul(out).mul(out.neg().add(1f))}, this);
    }

    public Variable relu() {
        return fromOp("relu", data.relu(), g -> new Tensor[] {g.mul(data.gt(0f))}, this);
    }

    /** Exact (erf) GELU. */
    public Variable gelu() {
        return fromOp("gelu", data.gelu(), g -> new Tensor[] {g.mul(data.geluGrad())}, this);
    }

    /** Clamps below at min; the gradient flows where x >= min. */
    public Variable clampMin(float min) {
        return fromOp("clampMin", data.clampMin(min), g -> new Tensor[] {g.mul(data.ge(min))}, this);
    }

    public Variable clamp(float min, float max) {
        return fromOp("clamp", data.clamp(min, max), g -> new Tensor[] {g.mul(data.ge(min).mul(data.le(max)))}, this);
    }

    /** cond != 0 ? a : b (cond is a constant mask). */
    public static Variable where(Tensor cond, Variable a, Variable b) {
        Shape sa = a.shape(), sb = b.shape();
        return fromOp("where", Tensor.where(cond, a.data, b.data), g -> {
            Tensor zero = Tensor.zeros(Shape.scalar(), g.device());
            return new Tensor[] {sumTo(Tensor.where(cond, g, zero), sa), sumTo(Tensor.where(cond, zero, g), sb)};
        }, a, b);
    }

    // ------------------------------------------------------------------ linear algebra and fused ops

    /** Matrix product of operands with at least 2 dimensions (batch dimensions broadcast). */
    public Variable matmul(Variable o) {
        if (rank() < 2 || o.rank() < 2) {
            throw new IllegalArgumentException("matmul: differentiable matmul needs operands with at least 2 dimensions, got "
                    + shape() + " and " + o.shape() + " (unsqueeze vectors first)");
        }
        Shape a = shape(), b = o.shape();
        return fromOp("matmul", data.matmul(o.data), g -> new Tensor[] {
            requiresGrad ? sumTo(g.matmul(o.data.transpose(-2, -1)), a) : null,
            o.requiresGrad ? sumTo(data.transpose(-2, -1).matmul(g), b) : null}, this, o);
    }

    /** softmax(x / temperature) over the last dimension. */
    public Variable softmax(float temperature) {
        Tensor y = data.softmax(temperature);
        return fromOp("softmax", y, g -> new Tensor[] {y.softmaxBackward(g, temperature, false)}, this);
    }

    public Variable softmax() {
        return softmax(1f);
    }

    /** log softmax(x / temperature) over the last dimension. */
    public Variable logSoftmax(float temperature) {
        Tensor y = data.logSoftmax(temperature);
        return fromOp("logSoftmax", y, g -> new Tensor[] {y.softmaxBackward(g, temperature, true)}, this);
    }

    public Variable logSoftmax() {
        return logSoftmax(1f);
    }

    /** LayerNorm over the last dimension with optional affine weight and bias ([C]). */
    public Variable layerNorm(Variable weight, Variable bias, float eps) {
        LayerNormResult r = data.layerNormWithStats(weight == null ? null : weight.data, bias == null ? null : bias.data, eps);
        return fromOp("layerNorm", r.output(), g -> data.layerNormBackward(weight == null ? null : weight.data, r, g,
                weight != null && weight.requiresGrad, bias != null && bias.requiresGrad), this, weight, bias);
    }

    // ------------------------------------------------------------------ reductions

    private Tensor expandBack(Tensor g, int[] dims, boolean keepdim) {
        Tensor k = g;
        if (!keepdim) {
            int[] sorted = dims.clone();
            for (int i = 0; i < sorted.length; i++) sorted[i] = shape().normalize(sorted[i], "sum");
            Arrays.sort(sorted);
            for (int d : sorted) k = k.unsqueeze(d);
        }
        return k.expand(dims()).contiguous();
    }

    private int[] allDims() {
        int[] d = new int[rank()];
        for (int i = 0; i < d.length; i++) d[i] = i;
        return d;
    }

    public Variable sum() {
        return sum(allDims(), false);
    }

    public Variable sum(int dim, boolean keepdim) {
        return sum(new int[] {dim}, keepdim);
    }

    public Variable sum(int[] dims, boolean keepdim) {
        Tensor out = dims.length == 0 ? data.sum() : data.sum(dims, keepdim);
        return fromOp("sum", out, g -> new Tensor[] {expandBack(g, dims, keepdim)}, this);
    }

    public Variable mean() {
        return mean(allDims(), false);
    }

    public Variable mean(int dim, boolean keepdim) {
        return mean(new int[] {dim}, keepdim);
    }

    public Variable mean(int[] dims, boolean keepdim) {
        Tensor out = dims.length == 0 ? data.mean() : data.mean(dims, keepdim);
        float n = (float) (data.numel() / Math.max(1, out.numel()));
        return fromOp("mean", out, g -> new Tensor[] {expandBack(g, dims, keepdim).div(n)}, this);
    }

    /** Maximum along dim; the gradient goes to the (first) position of the maximum. */
    public Variable max(int dim, boolean keepdim) {
        Tensor idx = data.argmax(dim, true);
        Tensor out = data.gather(dim, idx);
        Tensor result = keepdim ? out : out.squeeze(dim);
        return fromOp("max", result, g -> {
            Tensor gk = keepdim ? g : g.unsqueeze(dim);
            return new Tensor[] {Tensor.zeros(shape(), data.device()).scatterAddInPlace(dim, idx, gk.contiguous())};
        }, this);
    }

    /** L2 norm over dims. */
    public Variable norm(int[] dims, boolean keepdim) {
        Tensor out = data.norm(dims, keepdim);
        return fromOp("norm", out, g -> {
            Tensor nk = expandBack(out, dims, keepdim), gk = expandBack(g, dims, keepdim);
            // d||x||/dx = x / ||x||, taken as 0 where the norm is 0
            Tensor safe = Tensor.where(nk.gt(0f), nk, Tensor.ones(Shape.scalar(), nk.device()));
            return new Tensor[] {gk.mul(data).div(safe)};
        }, this);
    }

    /** x / max(||x||_2, eps) along dim, as torch.nn.functional.normalize. */
    public Variable normalize(int dim, float eps) {
        return div(norm(new int[] {dim}, true).clampMin(eps));
    }

    // ------------------------------------------------------------------ views, joins, indexing

    public Variable reshape(int... newDims) {
        int[] in = dims();
        return fromOp("reshape", data.reshape(newDims), g -> new Tensor[] {g.reshape(in)}, this);
    }

    public Variable view(int... newDims) {
        int[] in = dims();
        return fromOp("view", data.view(newDims), g -> new Tensor[] {g.reshape(in)}, this);
    }

    public Variable flatten(int start, int end) {
        int[] in = dims();
        return fromOp("flatten", data.flatten(start, end), g -> new Tensor[] {g.reshape(in)}, this);
    }

    public Variable permute(int... order) {
        int[] inverse = new int[order.length];
        for (int i = 0; i < order.length; i++) inverse[shape().normalize(order[i], "permute")] = i;
        return fromOp("permute", data.permute(order), g -> new Tensor[] {g.permute(inverse)}, this);
    }

    public Variable transpose(int d0, int d1) {
        return fromOp("transpose", data.transpose(d0, d1), g -> new Tensor[] {g.transpose(d0, d1)}, this);
    }

    public Variable contiguous() {
        return fromOp("contiguous", data.contiguous(), g -> new Tensor[] {g}, this);
    }

    public Variable unsqueeze(int dim) {
        int[] in = dims();
        return fromOp("unsqueeze", data.unsqueeze(dim), g -> new Tensor[] {g.reshape(in)}, this);
    }

    public Variable squeeze(int dim) {
        int[] in = dims();
        return fromOp("squeeze", data.squeeze(dim), g -> new Tensor[] {g.reshape(in)}, this);
    }

    public Variable expand(int... sizes) {
        Shape in = shape();
        return fromOp("expand", data.expand(sizes), g -> new Tensor[] {sumTo(g, in)}, this);
    }

    public Variable narrow(int dim, int start, int length) {
        return fromOp("narrow", data.narrow(dim, start, length), g -> {
            Tensor gx = Tensor.zeros(shape(), g.device());
            gx.narrow(dim, start, length).copyFrom(g);
            return new Tensor[] {gx};
        }, this);
    }

    public Variable select(int dim, int index) {
        int d = shape().normalize(dim, "select");
        int i = index < 0 ? index + size(d) : index;
        return fromOp("select", data.select(d, i), g -> {
            Tensor gx = Tensor.zeros(shape(), g.device());
            gx.select(d, i).copyFrom(g);
            return new Tensor[] {gx};
        }, this);
    }

    public List<Variable> split(int splitSize, int dim) {
        List<Variable> out = new ArrayList<>();
        int n = size(dim);
        for (int s = 0; s < n; s += splitSize) out.add(narrow(dim, s, Math.min(splitSize, n - s)));
        return out;
    }

    public List<Variable> chunk(int chunks, int dim) {
        if (chunks <= 0) throw new IllegalArgumentException("chunk: number of chunks must be positive, got " + chunks);
        return split(Math.max(1, (size(dim) + chunks - 1) / chunks), dim);
    }

    public static Variable cat(int dim, List<Variable> parts) {
        Tensor[] ts = new Tensor[parts.size()];
        int[] sizes = new int[parts.size()];
        for (int i = 0; i < ts.length; i++) {
            ts[i] = parts.get(i).data;
            sizes[i] = ts[i].rank() == 0 ? 0 : ts[i].size(dim);
        }
        Tensor out = Tensor.cat(dim, ts);
        return fromOp("cat", out, g -> g.split(sizes, dim).toArray(new Tensor[0]), parts.toArray(new Variable[0]));
    }

    public static Variable cat(int dim, Variable... parts) {
        return cat(dim, Arrays.asList(parts));
    }

    public static Variable stack(int dim, List<Variable> parts) {
        List<Variable> u = new ArrayList<>();
        for (Variable p : parts) u.add(p.unsqueeze(dim));
        return cat(dim, u);
    }

    public Variable indexSelect(int dim, Tensor index) {
        int d = shape().normalize(dim, "indexSelect");
        return fromOp("indexSelect", data.indexSelect(d, index), g -> {
            int[] view = new int[rank()];
            Arrays.fill(view, 1);
            view[d] = index.size(0);
            Tensor idx = index.view(view).expand(g.dims()).contiguous();
            return new Tensor[] {Tensor.zeros(shape(), g.device()).scatterAddInPlace(d, idx, g.contiguous())};
        }, this);
    }

    public Variable gather(int dim, Tensor index) {
        int d = shape().normalize(dim, "gather");
        return fromOp("gather", data.gather(d, index), g -> new Tensor[] {
            Tensor.zeros(shape(), g.device()).scatterAddInPlace(d, index, g.contiguous())}, this);
    }

    @Override
    public String toString() {
        return "Variable(" + data.describe() + (requiresGrad ? ", requiresGrad" : "") + (node != null ? ", op=" + node.op : "") + ")";
    }
}
