package dev.dinoj.autograd;

import dev.dinoj.tensor.Attention;
import dev.dinoj.tensor.Convolution;
import dev.dinoj.tensor.BatchNormResult;
import dev.dinoj.tensor.DType;
import dev.dinoj.tensor.LayerNormResult;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every differentiable op's backward rule, in one place: given g, the gradient of the loss with
 * respect to the op's output, the gradients with respect to its inputs (in input order; null where an
 * input needs none). Gradients of broadcast inputs are summed back to their shapes ({@link #sumTo}).
 * {@link Variable} records these rules next to each forward; {@link Backprop} applies them.
 */
final class Derivatives {
    private Derivatives() {}

    private static Tensor[] grads(Tensor... g) {
        return g;
    }

    // ------------------------------------------------------------------ elementwise

    /** z = x + y: dx = g, dy = g. */
    static Backward add(Shape x, Shape y) {
        return g -> grads(sumTo(g, x), sumTo(g, y));
    }

    /** z = x - y: dx = g, dy = -g. */
    static Backward sub(Shape x, Shape y) {
        return g -> grads(sumTo(g, x), sumTo(g, y).neg());
    }

    /** z = x * y: dx = g y, dy = g x. */
    static Backward mul(Variable x, Variable y) {
        return g -> grads(x.requiresGrad ? sumTo(g.mul(y.data), x.shape()) : null, y.requiresGrad ? sumTo(g.mul(x.data), y.shape()) : null);
    }

    /** z = x / y: dx = g / y, dy = -g z / y. */
    static Backward div(Variable x, Variable y, Tensor z) {
        return g -> grads(x.requiresGrad ? sumTo(g.div(y.data), x.shape()) : null,
                y.requiresGrad ? sumTo(g.mul(z).div(y.data).neg(), y.shape()) : null);
    }

    /** z = x + s, z = x - s, z = x viewed unchanged: dx = g. */
    static Backward identity() {
        return g -> grads(g);
    }

    /** z = s x: dx = s g. */
    static Backward scale(float s) {
        return g -> grads(g.mul(s));
    }

    /** z = x / s: dx = g / s. */
    static Backward divideBy(float s) {
        return g -> grads(g.div(s));
    }

    /** z = -x: dx = -g. */
    static Backward neg() {
        return g -> grads(g.neg());
    }

    /** z = exp(x): dx = g z. */
    static Backward exp(Tensor z) {
        return g -> grads(g.mul(z));
    }

    /** z = log(x): dx = g / x. */
    static Backward log(Tensor x) {
        return g -> grads(g.div(x));
    }

    /** z = sqrt(x): dx = g / (2 z). */
    static Backward sqrt(Tensor z) {
        return g -> grads(g.div(z).mul(0.5f));
    }

    /** z = x^-1/2: dx = -g z^3 / 2. */
    static Backward rsqrt(Tensor z) {
        return g -> grads(g.mul(z.pow(3f)).mul(-0.5f));
    }

    /** z = x^e: dx = e g x^(e-1). */
    static Backward pow(Tensor x, float e) {
        return g -> grads(g.mul(x.pow(e - 1)).mul(e));
    }

    /** z = x^2: dx = 2 g x. */
    static Backward square(Tensor x) {
        return g -> grads(g.mul(x).mul(2f));
    }

    /** z = |x|: dx = g sign(x). */
    static Backward abs(Tensor x) {
        return g -> grads(g.mul(x.sign()));
    }

    /** z = tanh(x): dx = g (1 - z^2). */
    static Backward tanh(Tensor z) {
        return g -> grads(g.mul(z.square().neg().add(1f)));
    }

    /** z = sigmoid(x): dx = g z (1 - z). */
    static Backward sigmoid(Tensor z) {
        return g -> grads(g.mul(z).mul(z.neg().add(1f)));
    }

    /** z = max(x, 0): dx = g [x > 0]. */
    static Backward relu(Tensor x) {
        return g -> grads(g.mul(x.gt(0f)));
    }

    /** z = gelu(x) (exact, erf): dx = g gelu'(x). */
    static Backward gelu(Tensor x) {
        return g -> grads(g.mul(x.geluGrad()));
    }

    /** z = max(x, min): dx = g [x >= min]. */
    static Backward clampMin(Tensor x, float min) {
        return g -> grads(g.mul(x.ge(min)));
    }

    /** z = clamp(x, min, max): dx = g [min <= x <= max]. */
    static Backward clamp(Tensor x, float min, float max) {
        return g -> grads(g.mul(x.ge(min).mul(x.le(max))));
    }

    /** z = cond ? a : b: da = g where cond, db = g elsewhere. */
    static Backward where(Tensor cond, Shape a, Shape b) {
        return g -> {
            Tensor zero = Tensor.zeros(Shape.scalar(), g.device());
            return grads(sumTo(Tensor.where(cond, g, zero), a), sumTo(Tensor.where(cond, zero, g), b));
        };
    }

    // ------------------------------------------------------------------ linear algebra and fused ops

    /** z = x y (batched): dx = g y^T, dy = x^T g. */
    static Backward matmul(Variable x, Variable y) {
        return g -> grads(x.requiresGrad ? sumTo(g.matmul(y.data.transpose(-2, -1)), x.shape()) : null,
                y.requiresGrad ? sumTo(x.data.transpose(-2, -1).matmul(g), y.shape()) : null);
    }

    /** z = x y + b (2-D, b a row): dx = g y^T, dy = x^T g, db = the column sums of g. */
    static Backward matmulBias(Variable x, Variable y, Variable b) {
        return g -> grads(x.requiresGrad ? g.matmul(y.data.transpose(0, 1)) : null,
                y.requiresGrad ? x.data.transpose(0, 1).matmul(g) : null,
                b.requiresGrad ? sumTo(g, b.shape()) : null);
    }

    /**
     * L = cholesky(A): dA = sym(L^-T Phi(L^T g) L^-1), Phi keeping the lower triangle with the diagonal
     * halved, sym(S) = (S + S^T) / 2 (Murray 2016, "Differentiation of the Cholesky decomposition").
     */
    static Backward cholesky(Tensor l) {
        return g -> {
            int n = l.size(-1);
            Tensor p = l.transpose(-2, -1).matmul(g).mul(lowerMask(n, 0.5f, l));
            Tensor left = l.solveTriangular(p, true);                             // L^-T P
            Tensor s = l.solveTriangular(left.transpose(-2, -1).contiguous(), true).transpose(-2, -1); // (L^-T (L^-T P)^T)^T = L^-T P L^-1
            return grads(s.add(s.transpose(-2, -1)).mul(0.5f));
        };
    }

    /**
     * X = op(L)^-1 B: dB = op(L)^-T g; dL = tril(-dB X^T) (op the identity) or tril(-X dB^T) (op the
     * transpose), only the lower triangle, which is all the forward read.
     */
    static Backward solveTriangular(Variable l, Tensor x, boolean transpose) {
        return g -> {
            Tensor db = l.data.solveTriangular(g.contiguous(), !transpose);
            Tensor dl = null;
            if (l.requiresGrad) {
                Tensor outer = transpose ? x.matmul(db.transpose(-2, -1)) : db.matmul(x.transpose(-2, -1));
                dl = outer.mul(lowerMask(l.size(-1), 1f, l.data)).neg();
            }
            return grads(dl, db);
        };
    }

    /** z = log det A = 2 sum(log diag L): dA = g A^-1, A^-1 = L^-T L^-1 from the forward's factor. */
    static Backward logdetSpd(Tensor l) {
        return g -> {
            int n = l.size(-1);
            Tensor identity = Tensor.eye(n, l.device());
            Tensor eye = l.rank() == 2 ? identity : identity.expand(l.dims()).contiguous();
            Tensor inverse = l.solveTriangular(l.solveTriangular(eye, false), true);
            int[] view = Arrays.copyOf(g.dims(), g.rank() + 2);
            view[view.length - 2] = 1;
            view[view.length - 1] = 1;
            return grads(inverse.mul(g.contiguous().view(view)));
        };
    }

    /** z = diag(x): dx is g on the diagonal, zero elsewhere. */
    static Backward diagonal(Shape x) {
        return g -> {
            Tensor dx = Tensor.zeros(x, g.device());
            dx.diagonal().copyFrom(g);
            return grads(dx);
        };
    }

    /** [n, n]: 1 below the diagonal, {@code diagonal} on it, 0 above; on like's device (broadcasts over batch dimensions). */
    private static Tensor lowerMask(int n, float diagonal, Tensor like) {
        float[] m = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) m[i * n + j] = 1f;
            m[i * n + i] = diagonal;
        }
        return Tensor.fromArray(m, Shape.of(n, n), like.device());
    }

    /** z = softmax(x / T): dx = z (g - sum(g z)) / T; z = log_softmax(x / T): dx = (g - exp(z) sum(g)) / T. */
    static Backward softmax(Tensor z, float temperature, boolean log) {
        return g -> grads(z.softmaxBackward(g, temperature, log));
    }

    /** z = BatchNorm(x) w + b (then ReLU when relu), from the forward's mean and rstd: dx, dw, db (the latter two only if asked for). */
    static Backward batchNorm(Tensor x, Variable weight, Variable bias, BatchNormResult saved, boolean relu) {
        return g -> x.batchNormBackward(weight == null ? null : weight.data, bias == null ? null : bias.data, saved, relu, g,
                weight != null && weight.requiresGrad, bias != null && bias.requiresGrad);
    }

    /** z = LayerNorm(x) w + b, from the forward's mean and rstd: dx, dw, db (the latter two only if asked for). */
    static Backward layerNorm(Tensor x, Variable weight, Variable bias, LayerNormResult saved) {
        return g -> x.layerNormBackward(weight == null ? null : weight.data, saved, g, weight != null && weight.requiresGrad,
                bias != null && bias.requiresGrad);
    }

    /**
     * Multi-head attention on a packed projection qkv [B, N, 3D]: the device's {@link Attention}
     * backward gives dq, dk, dv [B, H, N, d], written straight into one [B, N, 3D] gradient (slicing q,
     * k, v in autograd would add three zero-filled full-size gradients instead).
     */
    static Backward packedAttention(Attention attention, Attention.Args args, Attention.Forward forward, int b, int n, int heads, int hd) {
        return g -> {
            Tensor go = g.reshape(b, n, heads, hd).permute(0, 2, 1, 3); // [B, H, N, d]
            Attention.Grads d = attention.backward(args, forward, go);
            Tensor grad = Tensor.empty(Shape.of(b, n, 3, heads, hd), DType.FLOAT32, g.device());
            Tensor gp = grad.permute(2, 0, 3, 1, 4);
            gp.select(0, 0).copyFrom(d.dq().reshape(b, heads, n, hd));
            gp.select(0, 1).copyFrom(d.dk().reshape(b, heads, n, hd));
            gp.select(0, 2).copyFrom(d.dv().reshape(b, heads, n, hd));
            return grads(grad.view(b, n, 3 * heads * hd));
        };
    }

    /** z = conv2d(x, w, b): the device's convolution computes the gradients of the inputs that need one. */
    static Backward convolution(Convolution conv, Convolution.Args args, Convolution.Forward forward, Variable x, Variable w, Variable b) {
        return g -> {
            Convolution.Grads d = conv.backward(args, forward, g, x.requiresGrad, w.requiresGrad, b != null && b.requiresGrad);
            return grads(d.dx(), d.dweight(), d.dbias());
        };
    }

    /** z = f(x) whose gradient G = dz/dx the forward computed (a fused loss): dx = g G. */
    static Backward precomputed(Tensor gradient) {
        return g -> grads(gradient.mul(g));
    }

    // ------------------------------------------------------------------ reductions

    /** z = sum over dims: dx = g expanded back to x's shape. */
    static Backward sum(Shape x, int[] dims, boolean keepdim) {
        return g -> grads(expandBack(g, x, dims, keepdim));
    }

    /** z = mean over dims (n elements each): dx = g / n expanded back. */
    static Backward mean(Shape x, int[] dims, boolean keepdim, float n) {
        return g -> grads(expandBack(g, x, dims, keepdim).div(n));
    }

    /** z = max along dim: dx = g at the (first) position of the maximum, 0 elsewhere. */
    static Backward max(Tensor x, int dim, boolean keepdim, Tensor argmax) {
        return g -> {
            Tensor gk = keepdim ? g : g.unsqueeze(dim);
            return grads(Tensor.zeros(x.shape(), x.device()).scatterAddInPlace(dim, argmax, gk.contiguous()));
        };
    }

    /** z = ||x||_2 over dims: dx = g x / z, taken as 0 where z is 0. */
    static Backward norm(Tensor x, Tensor z, int[] dims, boolean keepdim) {
        return g -> {
            Tensor zk = expandBack(z, x.shape(), dims, keepdim), gk = expandBack(g, x.shape(), dims, keepdim);
            Tensor safe = Tensor.where(zk.gt(0f), zk, Tensor.ones(Shape.scalar(), zk.device()));
            return grads(gk.mul(x).div(safe));
        };
    }

    // ------------------------------------------------------------------ views, joins, indexing

    /** Any reshape of x (view, flatten, squeeze, unsqueeze): dx = g reshaped to x's dims. */
    static Backward reshape(int[] x) {
        return g -> grads(g.reshape(x));
    }

    /** z = x permuted by order: dx = g permuted by its inverse. */
    static Backward permute(int[] inverse) {
        return g -> grads(g.permute(inverse));
    }

    /** z = x with d0, d1 swapped: dx = g with them swapped back. */
    static Backward transpose(int d0, int d1) {
        return g -> grads(g.transpose(d0, d1));
    }

    /** z = x broadcast to a larger shape: dx = g summed back. */
    static Backward expand(Shape x) {
        return g -> grads(sumTo(g, x));
    }

    /** z = x[start : start + length] along dim: dx = g there, 0 elsewhere. */
    static Backward narrow(Shape x, int dim, int start, int length) {
        return g -> {
            Tensor gx = Tensor.zeros(x, g.device());
            gx.narrow(dim, start, length).copyFrom(g);
            return grads(gx);
        };
    }

    /** z = x[index] along dim (dimension removed): dx = g there, 0 elsewhere. */
    static Backward select(Shape x, int dim, int index) {
        return g -> {
            Tensor gx = Tensor.zeros(x, g.device());
            gx.select(dim, index).copyFrom(g);
            return grads(gx);
        };
    }

    /** z = cat(parts) along dim: each part's gradient is its slice of g. */
    static Backward cat(int[] sizes, int dim) {
        return g -> g.split(sizes, dim).toArray(new Tensor[0]);
    }

    /** z = x.indexSelect(dim, index): dx = g scattered back (added where an index repeats). */
    static Backward indexSelect(Shape x, int dim, Tensor index) {
        return g -> grads(Tensor.zeros(x, g.device()).indexAddInPlace(dim, index, g.contiguous()));
    }

    /** z = x.gather(dim, index): dx = g scattered back by index. */
    static Backward gather(Shape x, int dim, Tensor index) {
        return g -> grads(Tensor.zeros(x, g.device()).scatterAddInPlace(dim, index, g.contiguous()));
    }

    // ------------------------------------------------------------------ helpers

    /** Sums a broadcast gradient back to the shape of the input it came from. */
    static Tensor sumTo(Tensor g, Shape target) {
        if (g.shape().equals(target)) return g;
        int lead = g.rank() - target.rank();
        List<Integer> dims = new ArrayList<>();
        for (int d = 0; d < g.rank(); d++) {
            if (d < lead || (target.size(d - lead) == 1 && g.size(d) != 1)) dims.add(d);
        }
        Tensor s = dims.isEmpty() ? g : g.sum(dims.stream().mapToInt(Integer::intValue).toArray(), true);
        return s.reshape(target.toArray());
    }

    /** A reduction's gradient (or output) expanded back to the reduced input's shape. */
    static Tensor expandBack(Tensor g, Shape x, int[] dims, boolean keepdim) {
        Tensor k = g;
        if (!keepdim) {
            int[] sorted = dims.clone();
            for (int i = 0; i < sorted.length; i++) sorted[i] = x.normalize(sorted[i], "sum");
            Arrays.sort(sorted);
            for (int d : sorted) k = k.unsqueeze(d);
        }
        return k.expand(x.toArray()).contiguous();
    }
}
