package dev.dinoj.tensor.cpu;

import dev.dinoj.tensor.Tensor;

/**
 * Iterates several same-shaped strided operands in row-major order. Dimensions of size 1 are dropped
 * and neighbours that are contiguous in every operand are merged, so that the innermost loop is as
 * long as possible; the loop is split across threads by linear element ranges.
 */
final class StridedLoop {
    /** Processes {@code len} elements of one row; offs[k] is operand k's offset at the row start. */
    interface Row {
        void run(int[] offs, int len);
    }

    final int[] sizes;
    final int[][] strides;
    final int[] base;
    final int numel;

    private StridedLoop(int[] sizes, int[][] strides, int[] base, int numel) {
        this.sizes = sizes;
        this.strides = strides;
        this.base = base;
        this.numel = numel;
    }

    static StridedLoop of(Tensor... operands) {
        int[] shape = operands[0].dims();
        int k = operands.length;
        int[][] st = new int[k][];
        int[] base = new int[k];
        for (int i = 0; i < k; i++) {
            st[i] = operands[i].strides();
            base[i] = operands[i].offset();
        }
        return of(shape, st, base);
    }

    static StridedLoop of(int[] shape, int[][] strides, int[] base) {
        int k = strides.length;
        int n = 1;
        for (int s : shape) n *= s;
        int[] sz = new int[Math.max(1, shape.length)];
        int[][] st = new int[k][sz.length];
        int r = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue;
            if (r > 0 && mergeable(strides, d, sz[r - 1], st, r - 1, shape[d])) {
                sz[r - 1] *= shape[d];
                for (int i = 0; i < k; i++) st[i][r - 1] = strides[i][d];
                continue;
            }
            sz[r] = shape[d];
            for (int i = 0; i < k; i++) st[i][r] = strides[i][d];
            r++;
        }
        if (r == 0) {
            sz[0] = 1;
            r = 1;
        }
        int[] sizes = java.util.Arrays.copyOf(sz, r);
        for (int i = 0; i < k; i++) st[i] = java.util.Arrays.copyOf(st[i], r);
        return new StridedLoop(sizes, st, base, n);
    }

    /** True when the previous (outer) merged dim can absorb dim d in every operand. */
    private static boolean mergeable(int[][] strides, int d, int prevSize, int[][] merged, int prev, int size) {
        for (int i = 0; i < strides.length; i++) {
            if (merged[i][prev] != strides[i][d] * size) return false;
        }
        return true;
    }

    int rank() {
        return sizes.length;
    }

    int innerSize() {
        return sizes[sizes.length - 1];
    }

    int innerStride(int operand) {
        return strides[operand][sizes.length - 1];
    }

    /** Runs row over all elements, in parallel when worth it; workPerElement scales the split threshold. */
    void run(long workPerElement, Row row) {
        int inner = innerSize();
        int grain = Math.max(1, Math.min(inner, 4096));
        Parallel.forRange(numel, grain, workPerElement, (s, e) -> runRange(s, e, row));
    }

    void runRange(int start, int end, Row row) {
        if (start >= end) return;
        int r = sizes.length, k = base.length;
        int[] idx = new int[r];
        int[] offs = base.clone();
        int rem = start;
        for (int d = r - 1; d >= 0; d--) {
            idx[d] = rem % sizes[d];
            rem /= sizes[d];
            for (int i = 0; i < k; i++) offs[i] += idx[d] * strides[i][d];
        }
        int inner = sizes[r - 1];
        int pos = start;
        while (true) {
            int len = Math.min(inner - idx[r - 1], end - pos);
            row.run(offs, len);
            pos += len;
            if (pos >= end) return;
            idx[r - 1] += len;
            for (int i = 0; i < k; i++) offs[i] += len * strides[i][r - 1];
            int d = r - 1;
            while (d > 0 && idx[d] == sizes[d]) {
                for (int i = 0; i < k; i++) offs[i] -= sizes[d] * strides[i][d];
                idx[d] = 0;
                d--;
                idx[d]++;
                for (int i = 0; i < k; i++) offs[i] += strides[i][d];
            }
        }
    }
}
