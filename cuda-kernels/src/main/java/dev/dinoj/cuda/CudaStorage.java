package dev.dinoj.cuda;

import dev.dinoj.tensor.DType;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Storage;

/** A device buffer from the caching allocator; returned to it when the last tensor using it is closed. */
final class CudaStorage extends Storage {
    private final DeviceAllocator allocator;
    private final long address;

    CudaStorage(Device device, DType dtype, long numel, DeviceAllocator allocator) {
        super(device, dtype, numel);
        this.allocator = allocator;
        this.address = allocator.allocate(numel * 4);
    }

    long address() {
        return address;
    }

    @Override
    protected void free() {
        allocator.release(address);
    }
}
