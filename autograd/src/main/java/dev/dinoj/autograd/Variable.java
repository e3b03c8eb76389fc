package dev.dinoj.autograd;

import dev.dinoj.tensor.Attention;
import dev.dinoj.tensor.BatchNormResult;
import dev.dinoj.tensor.Convolution;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.LayerNormResult;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * A tensor in a differentiable computation. Ops on variables compute with {@link Tensor} and, while
 * {@link GradMode} is enabled and some input requires a gradient, record a node holding the op's
 * backward rule (all of them in {@link Derivatives}); {@link #backward()} hands the graph to
 * {@link Backprop}, which walks it in reverse topological order and accumulates gradients into the
 * leaves that require them.
 */
public final class Variable {
    // read by Backprop and Derivatives
    Tensor data;
    boolean requiresGrad;
    Tensor grad;
    Node node;

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
     * The result of a user-defined op: {@code output} was computed from {@code inputs}, and
     * {@code backward} maps the output's gradient to theirs. Records the op only when gradients are
     * needed. (The library's own ops are the methods below, their rules in {@link Derivatives}.)
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
        Backprop.run(this, gradOutput, retainGraph);
    }

    /** Sums a broadcast gradient back to the shape of the input it came from. */
    public static Tensor sumTo(Tensor g, Shape target) {
        return Derivatives.sumTo(g, target);
    }

    // ------------------------------------------------------------------ elementwise

    public Variable add(Variable o) {
        return fromOp("add", data.add(o.data), Derivatives.add(shape(), o.shape()), this, o);
    }

    public Variable sub(Variable o) {
        return fromOp("sub", data.sub(o.data), Derivatives.sub(shape(), o.shape()), this, o);
    }

    public Variable mul(Variable o) {
        return fromOp("mul", data.mul(o.data), Derivatives.mul(this, o), this, o);
    }

    public Variable div(Variable o) {
        Tensor out = data.div(o.data);
        return fromOp("div", out, Derivatives.div(this, o, out), this, o);
    }

    public Variable add(float s) {
        return fromOp("add", data.add(s), Derivatives.identity(), this);
    }

    public Variable sub(float s) {
        return fromOp("sub", data.sub(s), Derivatives.identity(), this);
    }

    public Variable mul(float s) {
        return fromOp("mul", data.mul(s), Derivatives.scale(s), this);
    }

    public Variable div(float s) {
        return fromOp("div", data.div(s), Derivatives.divideBy(s), this);
    }

    public Variable neg() {
        return fromOp("neg", data.neg(), Derivatives.neg(), this);
    }

    public Variable exp() {
        Tensor out = data.exp();
        return fromOp("exp", out, Derivatives.exp(out), this);
    }

    public Variable log() {
        return fromOp("log", data.log(), Derivatives.log(data), this);
    }

    public Variable sqrt() {
        Tensor out = data.sqrt();
        return fromOp("sqrt", out, Derivatives.sqrt(out), this);
    }

    public Variable rsqrt() {
        Tensor out = data.rsqrt();
        return fromOp("rsqrt", out, Derivatives.rsqrt(out), this);
    }

    public Variable pow(float e) {
        return fromOp("pow", data.pow(e), Derivatives.pow(data, e), this);
    }

    public Variable square() {
        return fromOp("square", data.square(), Derivatives.square(data), this);
    }

    public Variable abs() {
        return fromOp("abs", data.abs(), Derivatives.abs(data), this);
    }

    public Variable tanh() {
        Tensor out = data.tanh();
        return fromOp("tanh", out, Derivatives.tanh(out), this);
    }

    public Variable sigmoid() {
        Tensor out = data.sigmoid();
        return fromOp("sigmoid", out, Derivatives.sigmoid(out), this);
    }

    public Variable relu() {
        return fromOp("relu", data.relu(), Derivatives.relu(data), this);
    }

    /** Exact (erf) GELU. */
    public Variable gelu() {
        return fromOp("gelu", data.gelu(), Derivatives.gelu(data), this);
    }

    /** Clamps below at min; the gradient flows where x >= min. */
    public Variable clampMin(float min) {
        return fromOp("clampMin", data.clampMin(min), Derivatives.clampMin(data, min), this);
    }

    public Variable clamp(float min, float max) {
        return fromOp("clamp", data.clamp(min, max), Derivatives.clamp(data, min, max), this);
    }

    /** cond != 0 ? a : b (cond is a constant mask). */
    public static Variable where(Tensor cond, Variable a, Variable b) {
        return fromOp("where", Tensor.where(cond, a.data, b.data), Derivatives.where(cond, a.shape(), b.shape()), a, b);
    }

    // ------------------------------------------------------------------ linear algebra and fused ops

    /** Matrix product of operands with at least 2 dimensions (batch dimensions broadcast). */
    public Variable matmul(Variable o) {
        if (rank() < 2 || o.rank() < 2) {
            throw new IllegalArgumentException("matmul: differentiable matmul needs operands with at least 2 dimensions, got "
                    + shape() + " and " + o.shape() + " (unsqueeze vectors first)");
        }
        return fromOp("matmul", data.matmul(o.data), Derivatives.matmul(this, o), this, o);
    }

    /** this o + bias for 2-D operands and a bias [N] added to every row (a linear layer), in one pass where the backend fuses it. */
    public Variable matmul(Variable o, Variable bias) {
        return fromOp("matmulBias", data.matmul(o.data, bias.data), Derivatives.matmulBias(this, o, bias), this, o, bias);
    }

    /**
     * The Cholesky factor L of each symmetric positive definite matrix [..., n, n] (this = L L^T; only the
     * lower triangle is read). Its gradient is symmetric (Murray 2016, as PyTorch's): differentiate
     * through a symmetric construction (A = (M + M^T) / 2, A = I + c Z^T Z), not entry by entry.
     */
    public Variable cholesky() {
        Tensor l = data.cholesky();
        return fromOp("cholesky", l, Derivatives.cholesky(l), this);
    }

    /** X = L^-1 B (L^-T B when transpose) with this as the lower-triangular L [..., n, n] and b [..., n, m]. */
    public Variable solveTriangular(Variable b, boolean transpose) {
        Tensor x = data.solveTriangular(b.data, transpose);
        return fromOp("solveTriangular", x, Derivatives.solveTriangular(this, x, transpose), this, b);
    }

    /**
     * log det of each symmetric positive definite matrix [..., n, n], through its Cholesky factor: [...].
     * Gradient g A^-1 (symmetric, as for {@link #cholesky}), from the factor the forward computed.
     */
    public Variable logdetSpd() {
        Tensor l = data.cholesky();
        Tensor value = l.diagonal().log().sum(-1, false).mul(2f);
        return fromOp("logdetSpd", value, Derivatives.logdetSpd(l), this);
    }

    /** The diagonals of the last two dimensions, [..., n, m] -> [..., min(n, m)]. */
    public Variable diagonal() {
        return fromOp("diagonal", data.diagonal(), Derivatives.diagonal(shape()), this);
    }

    /** softmax(x / temperature) over the last dimension. */
    public Variable softmax(float temperature) {
        Tensor y = data.softmax(temperature);
        return fromOp("softmax", y, Derivatives.softmax(y, temperature, false), this);
    }

    public Variable softmax() {
        return softmax(1f);
    }

    /** log softmax(x / temperature) over the last dimension. */
    public Variable logSoftmax(float temperature) {
        Tensor y = data.logSoftmax(temperature);
        return fromOp("logSoftmax", y, Derivatives.softmax(y, temperature, true), this);
    }

    public Variable logSoftmax() {
        return logSoftmax(1f);
    }

    /** A training-mode batch normalisation's output and the batch statistics ([C]) that running averages follow. */
    public record BatchNorm(Variable output, Tensor mean, Tensor var) {}

    /**
     * Batch normalisation in training of this [N, C]: each column with its rows' mean and biased
     * variance, then weight and bias ([C], may be null); the gradient flows through the statistics.
     */
    public BatchNorm batchNorm(Variable weight, Variable bias, float eps) {
        return batchNorm(weight, bias, eps, false);
    }

    /** As {@link #batchNorm(Variable, Variable, float)}, followed by a ReLU when relu (one op: no intermediate tensor). */
    public BatchNorm batchNorm(Variable weight, Variable bias, float eps, boolean relu) {
        BatchNormResult r = data.batchNormWithStats(weight == null ? null : weight.data, bias == null ? null : bias.data, eps, relu);
        Variable out = fromOp(relu ? "batchNormRelu" : "batchNorm", r.output(), Derivatives.batchNorm(data, weight, bias, r, relu), this, weight, bias);
        return new BatchNorm(out, r.mean(), r.var());
    }

    /** LayerNorm over the last dimension with optional affine weight and bias ([C]). */
    public Variable layerNorm(Variable weight, Variable bias, float eps) {
        LayerNormResult r = data.layerNormWithStats(weight == null ? null : weight.data, bias == null ? null : bias.data, eps);
        return fromOp("layerNorm", r.output(), Derivatives.layerNorm(data, weight, bias, r), this, weight, bias);
    }

    /** The output of {@link #attention}: the heads' output and, on demand, the probabilities. */
    public static final class Attended {
        private final Variable output;
        private final Supplier<Tensor> probabilities;

        Attended(Variable output, Supplier<Tensor> probabilities) {
            this.output = output;
            this.probabilities = probabilities;
        }

        /** The heads' output [B, N, D], concatenated (before the output projection). */
        public Variable output() {
            return output;
        }

        /** The probabilities [B, H, N, N] (before dropout; recomputed where the fused kernels did not keep them). */
        public Supplier<Tensor> probabilities() {
            return probabilities;
        }
    }

    /**
     * Multi-head attention on this packed projection qkv [B, N, 3D] (q, k, v each split into H heads
     * of d = D/H): dropout(softmax(q k^T * scale)) v through the device's {@link Attention}, with
     * dropout {@code p} on the probabilities (0: none) drawn from {@code g}.
     */
    public Attended attention(int heads, float scale, float dropout, Generator g) {
        if (rank() != 3 || size(2) % (3 * heads) != 0) {
            throw new IllegalArgumentException("attention: qkv must be [B, N, 3 * D] with D divisible by " + heads + " heads, got " + shape());
        }
        int b = size(0), n = size(1), dim = size(2) / 3, hd = dim / heads;
        Tensor packed = data.view(b, n, 3, heads, hd).permute(2, 0, 3, 1, 4); // [3, B, H, N, d], a view
        Attention attention = data.device().backend().attention();
        Attention.Args args = new Attention.Args(packed.select(0, 0), packed.select(0, 1), packed.select(0, 2), scale, dropout, g);
        Attention.Forward forward = attention.forward(args);
        Tensor out = forward.output().transpose(1, 2).reshape(b, n, dim);
        Variable result = fromOp("attention", out, Derivatives.packedAttention(attention, args, forward, b, n, heads, hd), this);
        return new Attended(result, () -> attention.probabilities(args, forward));
    }

    /**
     * A 2-D convolution of these channels-last tokens [B, H*W, in] (positions row-major) with weight
     * [out, in / groups, k, k] and optional bias [out] through the device's {@link Convolution}:
     * [B, OH*OW, out].
     */
    public Variable conv2d(int height, int width, Variable weight, Variable bias, int stride, int padding, int dilation, int groups) {
        Convolution conv = data.device().backend().convolution();
        Convolution.Args args = new Convolution.Args(data, height, width, weight.data, bias == null ? null : bias.data, stride, padding, dilation, groups);
        Convolution.Forward forward = conv.forward(args);
        return fromOp("conv2d", forward.output(), Derivatives.convolution(conv, args, forward, this, weight, bias), this, weight, bias);
    }

    /**
     * A value of {@code input} whose gradient the forward already computed (a fused loss and its
     * gradient from one kernel): backward multiplies {@code gradient} by the upstream gradient.
     */
    public static Variable withGradient(String op, Tensor value, Tensor gradient, Variable input) {
        if (!gradient.shape().equals(input.shape())) {
            throw new IllegalArgumentException(op + ": gradient shape " + gradient.shape() + " does not match input shape " + input.shape());
        }
        return fromOp(op, value, Derivatives.precomputed(gradient), input);
    }

    // ------------------------------------------------------------------ reductions

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
        return fromOp("sum", out, Derivatives.sum(shape(), dims, keepdim), this);
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
        return fromOp("mean", out, Derivatives.mean(shape(), dims, keepdim, n), this);
    }

    /** Maximum along dim; the gradient goes to the (first) position of the maximum. */
    public Variable max(int dim, boolean keepdim) {
        Tensor idx = data.argmax(dim, true);
        Tensor out = data.gather(dim, idx);
        return fromOp("max", keepdim ? out : out.squeeze(dim), Derivatives.max(data, dim, keepdim, idx), this);
    }

    /** L2 norm over dims. */
    public Variable norm(int[] dims, boolean keepdim) {
        Tensor out = data.norm(dims, keepdim);
        return fromOp("norm", out, Derivatives.norm(data, out, dims, keepdim), this);
    }

    /** x / max(||x||_2, eps) along dim, as torch.nn.functional.normalize. */
    public Variable normalize(int dim, float eps) {
        return div(norm(new int[] {dim}, true).clampMin(eps));
    }

    // ------------------------------------------------------------------ views, joins, indexing

    public Variable reshape(int... newDims) {
        return fromOp("reshape", data.reshape(newDims), Derivatives.reshape(dims()), this);
    }

    public Variable view(int... newDims) {
        return fromOp("view", data.view(newDims), Derivatives.reshape(dims()), this);
    }

    public Variable flatten(int start, int end) {
        return fromOp("flatten", data.flatten(start, end), Derivatives.reshape(dims()), this);
    }

    public Variable permute(int... order) {
        int[] inverse = new int[order.length];
        for (int i = 0; i < order.length; i++) inverse[shape().normalize(order[i], "permute")] = i;
        return fromOp("permute", data.permute(order), Derivatives.permute(inverse), this);
    }

    public Variable transpose(int d0, int d1) {
        return fromOp("transpose", data.transpose(d0, d1), Derivatives.transpose(d0, d1), this);
    }

    public Variable contiguous() {
        return fromOp("contiguous", data.contiguous(), Derivatives.identity(), this);
    }

    public Variable unsqueeze(int dim) {
        return fromOp("unsqueeze", data.unsqueeze(dim), Derivatives.reshape(dims()), this);
    }

    public Variable squeeze(int dim) {
        return fromOp("squeeze", data.squeeze(dim), Derivatives.reshape(dims()), this);
    }

    public Variable expand(int... sizes) {
        return fromOp("expand", data.expand(sizes), Derivatives.expand(shape()), this);
    }

    public Variable narrow(int dim, int start, int length) {
        return fromOp("narrow", data.narrow(dim, start, length), Derivatives.narrow(shape(), dim, start, length), this);
    }

    public Variable select(int dim, int index) {
        int d = shape().normalize(dim, "select");
        int i = index < 0 ? index + size(d) : index;
        return fromOp("select", data.select(d, i), Derivatives.select(shape(), d, i), this);
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
        return fromOp("cat", Tensor.cat(dim, ts), Derivatives.cat(sizes, dim), parts.toArray(new Variable[0]));
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
        return fromOp("indexSelect", data.indexSelect(d, index), Derivatives.indexSelect(shape(), d, index), this);
    }

    public Variable gather(int dim, Tensor index) {
        int d = shape().normalize(dim, "gather");
        return fromOp("gather", data.gather(d, index), Derivatives.gather(shape(), d, index), this);
    }

    @Override
    public String toString() {
        return "Variable(" + data.describe() + (requiresGrad ? ", requiresGrad" : "") + (node != null ? ", op=" + node.op : "") + ")";
    }
}
