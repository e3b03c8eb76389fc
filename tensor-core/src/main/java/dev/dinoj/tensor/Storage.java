package dev.dinoj.tensor;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A flat buffer of elements on one device, shared by a tensor and its views. Device memory is never
 * left to the garbage collector: each tensor that is handed to a user holds one reference, and the
 * backend frees the buffer when the last of them is closed.
 */
public abstract class Storage {
    private final Device device;
    private final DType dtype;
    private final long numel;
    private final AtomicInteger refs = new AtomicInteger(1);

    protected Storage(Device device, DType dtype, long numel) {
        this.device = device;
        this.dtype = dtype;
        this.numel = numel;
    }

    public final Device device() {
        return device;
    }

    public final DType dtype() {
        return dtype;
    }

    public final long numel() {
        return numel;
    }

    public final boolean isReleased() {
        return refs.get() <= 0;
    }

    final void retain() {
        while (true) {
            int r = refs.get();
            if (r <= 0) throw new IllegalStateException("tensor storage was already released (tensor used after close)");
            if (refs.compareAndSet(r, r + 1)) return;
        }
    }

    final void release() {
        if (refs.decrementAndGet() == 0) free();
    }

    /** Returns the memory to the device; called once, when the last reference is released. */
    protected abstract void free();
}
