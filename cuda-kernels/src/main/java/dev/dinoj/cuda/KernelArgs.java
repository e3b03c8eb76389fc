package dev.dinoj.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.LongPointer;

/**
 * The parameter block of one kernel launch, in native memory reused across launches: each value is
 * written at an 8-byte aligned slot and {@link #pointers()} holds the slot addresses, which is what
 * cuLaunchKernel's kernelParams expects. Structs (shapes, strides) are written field by field in
 * their C layout. Not thread-safe: the owning context launches under its lock.
 */
final class KernelArgs implements AutoCloseable {
    static final int MAX_DIMS = 8;
    private static final int BYTES = 4096, MAX_ARGS = 64;
    private final BytePointer data = new BytePointer(BYTES);
    private final LongPointer pointers = new LongPointer(MAX_ARGS);
    private int offset, count;

    KernelArgs reset() {
        offset = 0;
        count = 0;
        return this;
    }

    private long slot(int bytes) {
        if (count == MAX_ARGS || offset + bytes > BYTES) throw new IllegalStateException("too many kernel arguments");
        long at = offset;
        pointers.put(count++, data.address() + at);
        offset += (bytes + 7) & ~7;
        return at;
    }

    KernelArgs ptr(long deviceAddress) {
        data.putLong(slot(8), deviceAddress);
        return this;
    }

    KernelArgs i32(int v) {
        data.putInt(slot(4), v);
        return this;
    }

    KernelArgs i64(long v) {
        data.putLong(slot(8), v);
        return this;
    }

    KernelArgs f32(float v) {
        data.putFloat(slot(4), v);
        return this;
    }

    KernelArgs f64(double v) {
        data.putDouble(slot(8), v);
        return this;
    }

    /** struct Shape8 { int ndim; int size[8]; } */
    KernelArgs shape(int[] sizes) {
        long at = slot(4 + 4 * MAX_DIMS);
        data.putInt(at, sizes.length);
        for (int d = 0; d < MAX_DIMS; d++) data.putInt(at + 4 + 4L * d, d < sizes.length ? sizes[d] : 1);
        return this;
    }

    /** struct Strides8 { int s[8]; } */
    KernelArgs strides(int[] strides) {
        long at = slot(4 * MAX_DIMS);
        for (int d = 0; d < MAX_DIMS; d++) data.putInt(at + 4L * d, d < strides.length ? strides[d] : 0);
        return this;
    }

    LongPointer pointers() {
        return pointers;
    }

    @Override
    public void close() {
        data.close();
        pointers.close();
    }
}
