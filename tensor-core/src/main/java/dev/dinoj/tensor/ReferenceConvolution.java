package dev.dinoj.tensor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link Convolution} composed of tensor ops, im2col + GEMM: a zero row is appended to the input
 * tokens, one index gather picks every kernel tap (the padding's taps pick the zero row) and one
 * matmul applies the weight; on channels-last tokens the gathered taps of a position are already the
 * row of the im2col matrix, so no copy comes between the gather and the GEMM. With groups the columns
 * are regrouped to [groups, rows, taps * in / groups] and one batched matmul applies the groups'
 * weights. The backward is the GEMM's two products and the gather's scatter-add. Works on any device;
 * the CPU's convolution and the reference of the others.
 */
public final class ReferenceConvolution implements Convolution {
    public static final ReferenceConvolution INSTANCE = new ReferenceConvolution();

    /** im2col indices by geometry: small int arrays, built once per crop size and layer shape. */
    private static final Map<Geometry, int[]> TAPS = new ConcurrentHashMap<>();

    private record Geometry(int height, int width, int kernel, int stride, int padding, int dilation) {}

    private ReferenceConvolution() {}

    /** The im2col matrix (or its per-group copy) and the weight as a matrix, as the forward used them. */
    private record Kept(Tensor cols, Tensor weightMatrix, Tensor index) implements Saved {}

    private static boolean pointwise(Args a) {
        return a.kernel() == 1 && a.stride() == 1 && a.padding() == 0;
    }

    @Override
    public Forward forward(Args a) {
        int b = a.batch(), in = a.inChannels(), out = a.outChannels(), k = a.kernel(), kk = k * k, positions = a.outHeight() * a.outWidth();
        Tensor x = a.x(), cols, index = null;
        if (pointwise(a)) {
            cols = x.reshape(b * positions, in);
        } else {
            Tensor padded = Tensor.cat(1, x, Tensor.zeros(Shape.of(b, 1, in), x.device()));
            int[] idx = TAPS.computeIfAbsent(new Geometry(a.height(), a.width(), k, a.stride(), a.padding(), a.dilation()),
                    g -> ConvTaps.of(g.height, g.width, g.kernel, g.stride, g.padding, g.dilation));
            index = Tensor.fromIndices(idx).to(x.device());
            cols = padded.indexSelect(1, index).reshape(b * positions, kk * in);
        }
        int rows = b * positions;
        if (a.groups() == 1) {
            Tensor wm = a.weight().permute(2, 3, 1, 0).reshape(kk * in, out);
            Tensor y = a.bias() == null ? cols.matmul(wm) : cols.matmul(wm, a.bias());
            return new Forward(y.reshape(b, positions, out), new Kept(cols, wm, index));
        }
        int g = a.groups(), ig = in / g, og = out / g;
        Tensor byGroup = cols.reshape(rows, kk, g, ig).permute(2, 0, 1, 3).reshape(g, rows, kk * ig);
        // weight [out, ig, k, k] -> [groups, og, ig, k, k] -> [groups, k, k, ig, og] -> [groups, kk * ig, og]
        Tensor wm = a.weight().reshape(g, og, ig, k, k).permute(0, 3, 4, 2, 1).reshape(g, kk * ig, og);
        Tensor y = byGroup.matmul(wm).permute(1, 0, 2).reshape(rows, out);
        if (a.bias() != null) y = y.add(a.bias());
        return new Forward(y.reshape(b, positions, out), new Kept(byGroup, wm, index));
    }

    @Override
    public Grads backward(Args a, Forward f, Tensor gradOut, boolean input, boolean weight, boolean bias) {
        if (!(f.saved() instanceof Kept)) throw new IllegalArgumentException("convolution: this forward was not the reference's");
        Kept kept = (Kept) f.saved();
        int b = a.batch(), in = a.inChannels(), out = a.outChannels(), k = a.kernel(), kk = k * k, positions = a.outHeight() * a.outWidth();
        int rows = b * positions;
        Tensor g = gradOut.reshape(rows, out);
        Tensor db = bias && a.bias() != null ? g.sum(new int[] {0}, true).reshape(out) : null;
        Tensor dcols = null, dweight = null;
        if (a.groups() == 1) {
            if (input) dcols = g.matmul(kept.weightMatrix.transpose(0, 1));
            if (weight) dweight = kept.cols.transpose(0, 1).matmul(g).reshape(k, k, in, out).permute(3, 2, 0, 1);
        } else {
            int groups = a.groups(), ig = in / groups, og = out / groups;
            Tensor gg = g.reshape(rows, groups, og).permute(1, 0, 2);
            if (input) dcols = gg.matmul(kept.weightMatrix.transpose(-2, -1)).reshape(groups, rows, kk, ig).permute(1, 2, 0, 3).reshape(rows, kk * in);
            if (weight) {
                dweight = kept.cols.transpose(-2, -1).matmul(gg).reshape(groups, k, k, ig, og).permute(0, 4, 3, 1, 2).reshape(out, ig, k, k);
            }
        }
        Tensor dx = null;
        if (input) {
            if (pointwise(a)) {
                dx = dcols.reshape(b, a.height() * a.width(), in);
            } else {
                int hw = a.height() * a.width();
                Tensor dpadded = Tensor.zeros(Shape.of(b, hw + 1, in), gradOut.device()).indexAddInPlace(1, kept.index, dcols.reshape(b, positions * kk, in).contiguous());
                dx = dpadded.split(new int[] {hw, 1}, 1).get(0);
            }
        }
        return new Grads(dx, dweight, db);
    }
}
