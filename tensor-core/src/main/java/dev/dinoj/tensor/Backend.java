package dev.dinoj.tensor;

/**
 * What every device implements. {@link Tensor} validates shapes, dtypes and devices, allocates outputs
 * and builds broadcast views before it calls a backend, so a backend may assume that its arguments are
 * consistent: same shape where the op says so, all on this backend's device. Inputs may have any
 * strides (including 0 for broadcast dimensions); outputs may be strided views too unless stated.
 */
public interface Backend {
    Device device();

    /** The device's attention: {@link ReferenceAttention} unless the device has kernels of its own. */
    default Attention attention() {
        return ReferenceAttention.INSTANCE;
    }

    /** The device's convolution: {@link ReferenceConvolution} unless the device has kernels of its own. */
    default Convolution convolution() {
        return ReferenceConvolution.INSTANCE;
    }

    /** The device's multi-tensor updates: {@link ReferenceMultiTensorOps} unless the device has kernels of its own. */
    default MultiTensorOps multiTensor() {
        return ReferenceMultiTensorOps.INSTANCE;
    }

    /** A new buffer of {@code numel} elements; its contents are undefined. */
    Storage allocate(DType dtype, long numel);

    /** Copies host values into {@code dst} (any strides), in row-major order of dst's shape. */
    void write(Tensor dst, float[] src);

    void write(Tensor dst, int[] src);

    /** Reads {@code src} (any strides) into a new row-major host array. */
    float[] readFloats(Tensor src);

    int[] readInts(Tensor src);

    void fill(Tensor out, double value);

    /** out = src, elementwise, same shape; converts between dtypes. */
    void copy(Tensor src, Tensor out);

    /** out = op(x; a, b). x and out have the same shape; float32. */
    void unary(UnaryOp op, Tensor x, float a, float b, Tensor out);

    /** out = op(x, y); all three have out's shape (x, y may be broadcast views). */
    void binary(BinaryOp op, Tensor x, Tensor y, Tensor out);

    /** out = alpha * x + beta * y; all three have out's shape. The EMA and optimizer workhorse. */
    void linearCombination(float alpha, Tensor x, float beta, Tensor y, Tensor out);

    /** out = cond != 0 ? x : y; all four have out's shape. */
    void where(Tensor cond, Tensor x, Tensor y, Tensor out);

    /**
     * Reduces x over {@code dims} (sorted, distinct) into out, whose shape is x's with those dimensions
     * set to 1 (keepdim form). ARGMAX/ARGMIN write int32 indices counted along the single reduced
     * dimension. {@code correction} is used by VAR only.
     */
    void reduce(ReduceOp op, Tensor x, int[] dims, int correction, Tensor out);

    /**
     * Batched matrix product: a is [..., M, K], b is [..., K, N], out is [..., M, N] and contiguous;
     * the leading dimensions are equal (broadcast views allowed in a and b). a and b may be transposed
     * views: any strides.
     */
    void matmul(Tensor a, Tensor b, Tensor out);

    /**
     * out = a b + bias for 2-D a [M, K] and b [K, N] (any strides), bias [N] added to every row after
     * the products; out [M, N] contiguous. The default is the product and then a broadcast add; a
     * backend may fuse the add into the GEMM's epilogue (it must give the same values).
     */
    default void matmulBias(Tensor a, Tensor b, Tensor bias, Tensor out) {
        matmul(a, b, out);
        binary(BinaryOp.ADD, out, bias.reshape(1, bias.size(0)).expand(out.shape()), out);
    }

    /** Softmax (or log-softmax) of x / temperature over the last dimension. */
    void softmax(Tensor x, float temperature, boolean log, Tensor out);

    /**
     * The gradient of softmax/log-softmax of x / temperature over the last dimension, from its output y
     * and the output's gradient g (same shape, contiguous): softmax: y * (g - sum(g * y)) / T;
     * log-softmax: (g - exp(y) * sum(g)) / T. out is contiguous.
     */
    void softmaxBackward(Tensor y, Tensor g, float temperature, boolean log, Tensor out);

    /**
     * LayerNorm backward over the last dimension from the saved mean and rstd: gradX (contiguous, x's
     * shape) always; gradWeight and gradBias ([C], may be null) are overwritten with the sums over rows.
     * weight may be null (no affine scale).
     */
    void layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gradOut, Tensor gradX, Tensor gradWeight,
                           Tensor gradBias);

    /**
     * LayerNorm over the last dimension: out = (x - mean) * rstd * weight + bias, where weight and bias
     * may be null. mean and rstd (x's shape without the last dimension) receive the statistics backward needs.
     */
    void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out, Tensor mean, Tensor rstd);

    /**
     * Batch normalisation in training of x [N, C]: each column normalised with the mean and biased
     * variance of its N rows, out = (x - mean) * rstd * weight + bias (weight and bias [C], may be
     * null), then max(out, 0) when relu; mean, var and rstd ([C]) receive the statistics. The default
     * composes tensor ops.
     */
    default void batchNorm(Tensor x, Tensor weight, Tensor bias, float eps, boolean relu, Tensor out, Tensor mean, Tensor var, Tensor rstd) {
        Tensor m = x.mean(0, false), centred = x.sub(m), v = centred.square().mean(0, false), rs = v.add(eps).rsqrt();
        Tensor y = affine(centred.mul(rs), weight, bias);
        out.copyFrom(relu ? y.relu() : y);
        mean.copyFrom(m);
        var.copyFrom(v);
        rstd.copyFrom(rs);
    }

    /**
     * Batch normalisation backward from the saved mean and rstd: with xhat = (x - mean) * rstd and g the
     * output gradient (zeroed where the normalised output was not positive, when relu),
     * gradX = rstd * weight * (g - mean(g) - xhat * mean(g * xhat)) over the rows; gradWeight =
     * sum(g * xhat) and gradBias = sum(g) ([C], may be null) are overwritten. The default composes tensor ops.
     */
    default void batchNormBackward(Tensor x, Tensor weight, Tensor bias, Tensor mean, Tensor rstd, boolean relu, Tensor gradOut, Tensor gradX,
                                   Tensor gradWeight, Tensor gradBias) {
        float invN = 1f / x.size(0);
        Tensor xhat = x.sub(mean).mul(rstd);
        Tensor g = relu ? gradOut.mul(affine(xhat, weight, bias).gt(0f)) : gradOut;
        Tensor sg = g.sum(0, false), sgx = g.mul(xhat).sum(0, false);
        if (gradWeight != null) gradWeight.copyFrom(sgx);
        if (gradBias != null) gradBias.copyFrom(sg);
        Tensor a = weight == null ? rstd : rstd.mul(weight);
        gradX.copyFrom(g.sub(sg.mul(invN)).sub(xhat.mul(sgx.mul(invN))).mul(a));
    }

    private static Tensor affine(Tensor xhat, Tensor weight, Tensor bias) {
        Tensor y = weight == null ? xhat : xhat.mul(weight);
        return bias == null ? y : y.add(bias);
    }

    /**
     * Bicubic resize of [N, C, H, W] to out's [N, C, outH, outW] (PyTorch's upsample_bicubic2d, A = -0.75).
     * scaleH/scaleW are the mapping from output to input coordinates when align_corners is false.
     */
    void resizeBicubic(Tensor x, boolean alignCorners, double scaleH, double scaleW, Tensor out);

    /** Fills out (contiguous) from the Philox4x32-10 stream (seed, counter offset); see {@link Generator}. */
    void random(RandomDistribution dist, long seed, long offset, float a, float b, Tensor out);

    /** out = x with dimension dim indexed by the int32 vector index (range-checked by the caller). */
    void indexSelect(Tensor x, int dim, Tensor index, Tensor out);

    /** out[..i_dim..] = x[..index[..i_dim..]..] with index (int32) of out's shape. */
    void gather(Tensor x, int dim, Tensor index, Tensor out);

    /** The summed gradient of gather: out (zeroed by the caller) += src at the positions index names. */
    void scatterAdd(Tensor src, int dim, Tensor index, Tensor out);

    /**
     * The summed gradient of indexSelect: out[.., index[j], ..] += src[.., j, ..] along dim, out zeroed
     * by the caller, src of out's shape with index.size(0) at dim. The default expands the index to
     * src's shape and scatter-adds; a backend with a direct loop avoids that int tensor of src's size.
     */
    default void indexAdd(Tensor src, int dim, Tensor index, Tensor out) {
        int[] view = new int[out.rank()];
        java.util.Arrays.fill(view, 1);
        view[dim] = index.size(0);
        scatterAdd(src, dim, index.view(view).expand(src.dims()).contiguous(), out);
    }

    /**
     * Cholesky factors of the symmetric positive definite matrices a [..., n, n] (contiguous; only the
     * lower triangles are read) into out (contiguous, a's shape): lower-triangular L with a = L L^T,
     * zeros above the diagonal. Returns null on success, else {matrix, order}: the first matrix of the
     * batch (row-major order of the leading dimensions) whose leading minor of that order is not
     * positive; out is then undefined. The default computes on the host.
     */
    default int[] cholesky(Tensor a, Tensor out) {
        int n = a.size(-1), batch = (int) (a.numel() / ((long) n * n));
        float[] l = readFloats(a);
        int[] failed = dev.dinoj.tensor.cpu.CholeskyKernels.factor(l, 0, l, 0, batch, n);
        if (failed == null) write(out, l);
        return failed;
    }

    /**
     * X = L^-1 B, or L^-T B when transpose, for lower-triangular l [..., n, n] (only the lower triangle
     * is read) and b [..., n, m], all contiguous, out of b's shape. The default computes on the host.
     */
    default void triangularSolve(Tensor l, Tensor b, boolean transpose, Tensor out) {
        int n = l.size(-1), m = b.size(-1), batch = (int) (l.numel() / ((long) n * n));
        float[] x = new float[(int) b.numel()];
        dev.dinoj.tensor.cpu.CholeskyKernels.solve(readFloats(l), 0, readFloats(b), 0, x, 0, batch, n, m, transpose);
        write(out, x);
    }

    /**
     * One fused AdamW step (PyTorch's algorithm) on contiguous, same-shaped param, grad, expAvg and
     * expAvgSq: param *= 1 - lr*weightDecay; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
     * param -= lr/(1-b1^step) * m / (sqrt(v)/sqrt(1-b2^step) + eps).
     */
    void adamw(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, float lr, float beta1, float beta2, float eps,
               float weightDecay, int step);
}
