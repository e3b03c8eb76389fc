package dev.dinoj.cuda;

/**
 * The device could not provide a buffer even after the allocator returned its cached blocks. The
 * message gives the requested and free bytes; the allocator stays usable (smaller requests, or the
 * same one after tensors are closed, can succeed).
 */
public final class DeviceOutOfMemoryException extends CudaException {
    private static final long serialVersionUID = 1L;
    private final long requested, free;

    public DeviceOutOfMemoryException(String message, int code, long requested, long free) {
        super(message, code);
        this.requested = requested;
        this.free = free;
    }

    public long requestedBytes() {
        return requested;
    }

    public long freeBytes() {
        return free;
    }
}
