package dev.dinoj.tensor.cpu;

import dev.dinoj.tensor.DType;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Storage;

/** A Java array: float[] for float32, int[] for int32. */
public final class CpuStorage extends Storage {
    private float[] floats;
    private int[] ints;
    /** True when the array came from {@link CpuBufferPool} (not a caller's array), so it may go back. */
    private final boolean pooled;

    CpuStorage(DType dtype, int numel) {
        super(Device.CPU, dtype, numel);
        pooled = true;
        switch (dtype) {
            case FLOAT32:
                floats = CpuBufferPool.take(numel);
                break;
            case INT32:
                ints = new int[numel];
                break;
            default:
                throw new IllegalArgumentException("cpu: dtype " + dtype + " is not supported yet");
        }
    }

    private CpuStorage(float[] floats, int[] ints, DType dtype, int numel) {
        super(Device.CPU, dtype, numel);
        this.pooled = false;
        this.floats = floats;
        this.ints = ints;
    }

    /** A storage over the caller's array (no copy). */
    public static CpuStorage wrap(float[] values) {
        return new CpuStorage(values, null, DType.FLOAT32, values.length);
    }

    public static CpuStorage wrap(int[] values) {
        return new CpuStorage(null, values, DType.INT32, values.length);
    }

    public float[] floats() {
        if (floats == null) throw new IllegalStateException(isReleased() ? "storage used after close" : "storage holds " + dtype() + ", not float32");
        return floats;
    }

    public int[] ints() {
        if (ints == null) throw new IllegalStateException(isReleased() ? "storage used after close" : "storage holds " + dtype() + ", not int32");
        return ints;
    }

    @Override
    protected void free() {
        if (pooled && floats != null) CpuBufferPool.give(floats);
        floats = null;
        ints = null;
    }
}
