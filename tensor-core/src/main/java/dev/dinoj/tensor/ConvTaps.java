package dev.dinoj.tensor;

/**
 * The im2col index of a square sliding window over a row-major h x w grid: for each output position
 * (row-major) and tap (ky, kx), the input position it reads, or h*w (a row the caller appends: zeros for
 * a convolution, -infinity for max-pooling) where the tap falls in the padding.
 */
public final class ConvTaps {
    private ConvTaps() {}

    /** Output side for an input side: floor((size + 2 padding - dilation (kernel - 1) - 1) / stride) + 1, or -1 if the window does not fit. */
    public static int outputSize(int size, int kernel, int stride, int padding, int dilation) {
        int span = dilation * (kernel - 1) + 1;
        return size + 2 * padding < span ? -1 : (size + 2 * padding - span) / stride + 1;
    }

    public static int[] of(int h, int w, int kernel, int stride, int padding, int dilation) {
        int oh = outputSize(h, kernel, stride, padding, dilation), ow = outputSize(w, kernel, stride, padding, dilation);
        int[] idx = new int[oh * ow * kernel * kernel];
        int n = 0;
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                for (int ky = 0; ky < kernel; ky++) {
                    for (int kx = 0; kx < kernel; kx++) {
                        int iy = oy * stride - padding + ky * dilation, ix = ox * stride - padding + kx * dilation;
                        idx[n++] = iy >= 0 && iy < h && ix >= 0 && ix < w ? iy * w + ix : h * w;
                    }
                }
            }
        }
        return idx;
    }
}
