package dev.dinoj.cuda;

import java.util.Arrays;

/**
 * The shape and per-operand strides an elementwise kernel walks: dimensions of size 1 are dropped and
 * neighbours that every operand can walk as one (stride[d] == stride[d+1] * size[d+1]) are merged, so
 * a contiguous tensor becomes one dimension. Kernels take at most 8 dimensions.
 */
final class StridedLayout {
    final int[] sizes;
    final int[][] strides;
    final long numel;

    private StridedLayout(int[] sizes, int[][] strides, long numel) {
        this.sizes = sizes;
        this.strides = strides;
        this.numel = numel;
    }

    static StridedLayout of(int[] shape, int[]... operandStrides) {
        int n = shape.length, ops = operandStrides.length;
        int[] sizes = new int[n];
        int[][] st = new int[ops][n];
        int k = 0;
        long numel = 1;
        for (int d = 0; d < n; d++) {
            numel *= shape[d];
            if (shape[d] == 1) continue;
            if (k > 0) {
                boolean merge = true;
                for (int o = 0; o < ops; o++) {
                    if ((long) st[o][k - 1] != (long) operandStrides[o][d] * shape[d]) merge = false;
                }
                if (merge) {
                    sizes[k - 1] *= shape[d];
                    for (int o = 0; o < ops; o++) st[o][k - 1] = operandStrides[o][d];
                    continue;
                }
            }
            sizes[k] = shape[d];
            for (int o = 0; o < ops; o++) st[o][k] = operandStrides[o][d];
            k++;
        }
        if (k > KernelArgs.MAX_DIMS) {
            throw new IllegalArgumentException("cuda: a strided view with " + k + " non-mergeable dimensions (shape "
                    + Arrays.toString(shape) + ") exceeds the kernels' limit of " + KernelArgs.MAX_DIMS + "; call contiguous() first");
        }
        int[][] out = new int[ops][];
        for (int o = 0; o < ops; o++) out[o] = Arrays.copyOf(st[o], k);
        return new StridedLayout(Arrays.copyOf(sizes, k), out, numel);
    }
}
