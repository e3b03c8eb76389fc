package dev.dinoj.cuda;

import dev.dinoj.cuda.KernelSignature.Param;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The parameter block of one kernel launch, in native memory reused across launches: each value is
 * written at an 8-byte aligned slot and {@link #pointers()} holds the slot addresses, which is what
 * cuLaunchKernel's kernelParams expects. Structs (shapes, strides) are written field by field in
 * their C layout. Not thread-safe: the owning context launches under its lock.
 *
 * <p>The table is a {@link PointerPointer} on purpose: JavaCPP's cuLaunchKernel has a
 * (PointerPointer, PointerPointer) overload that passes the table's address as the void**, and a
 * (Pointer, Pointer) overload whose parameters are {@code @ByPtrPtr}, which passes the address of a
 * local copy of the pointer instead (the kernel would read the table itself as its first argument).
 */
final class KernelArgs implements AutoCloseable {
    static final int MAX_DIMS = 8;
    private static final int BYTES = 4096, MAX_ARGS = 64;
    private final BytePointer data = new BytePointer(BYTES);
    private final PointerPointer<?> pointers = new PointerPointer<>(MAX_ARGS);
    /** The same memory as {@link #pointers}, written as raw 64-bit addresses. */
    private final LongPointer slots = new LongPointer(pointers);
    private final Param[] types = new Param[MAX_ARGS];
    private int offset, count;

    KernelArgs reset() {
        offset = 0;
        count = 0;
        return this;
    }

    private long slot(Param type, int bytes) {
        if (count == MAX_ARGS || offset + bytes > BYTES) throw new IllegalStateException("too many kernel arguments");
        long at = offset;
        types[count] = type;
        slots.put(count++, data.address() + at);
        offset += (bytes + 7) & ~7;
        return at;
    }

    KernelArgs ptr(long deviceAddress) {
        data.putLong(slot(Param.PTR, 8), deviceAddress);
        return this;
    }

    KernelArgs i32(int v) {
        data.putInt(slot(Param.I32, 4), v);
        return this;
    }

    KernelArgs i64(long v) {
        data.putLong(slot(Param.I64, 8), v);
        return this;
    }

    KernelArgs f32(float v) {
        data.putFloat(slot(Param.F32, 4), v);
        return this;
    }

    KernelArgs f64(double v) {
        data.putDouble(slot(Param.F64, 8), v);
        return this;
    }

    /** struct Shape8 { int ndim; int size[8]; } */
    KernelArgs shape(int[] sizes) {
        fitsEightDims("shape", sizes);
        long at = slot(Param.SHAPE8, 4 + 4 * MAX_DIMS);
        data.putInt(at, sizes.length);
        for (int d = 0; d < MAX_DIMS; d++) data.putInt(at + 4 + 4L * d, d < sizes.length ? sizes[d] : 1);
        return this;
    }

    /** struct Strides8 { int s[8]; } */
    KernelArgs strides(int[] strides) {
        fitsEightDims("strides", strides);
        long at = slot(Param.STRIDES8, 4 * MAX_DIMS);
        for (int d = 0; d < MAX_DIMS; d++) data.putInt(at + 4L * d, d < strides.length ? strides[d] : 0);
        return this;
    }

    private static void fitsEightDims(String what, int[] values) {
        if (values.length > MAX_DIMS) {
            throw new IllegalArgumentException("cuda kernel argument: " + what + " " + Arrays.toString(values) + " has " + values.length
                    + " dimensions, the kernels take at most " + MAX_DIMS);
        }
    }

    /** The kernelParams table: element i is the address of argument slot i. */
    PointerPointer<?> pointers() {
        return pointers;
    }

    /** The number of arguments written since the last {@link #reset()}. */
    int count() {
        return count;
    }

    /** The types of the arguments written since the last {@link #reset()}, checked against the kernel's signature. */
    List<Param> types() {
        return List.of(Arrays.copyOf(types, count));
    }

    @Override
    public void close() {
        data.close();
        pointers.close();
    }
}
