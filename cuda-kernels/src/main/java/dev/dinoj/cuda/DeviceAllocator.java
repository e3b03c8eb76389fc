package dev.dinoj.cuda;

import static org.bytedeco.cuda.global.cudart.CUDA_ERROR_OUT_OF_MEMORY;
import static org.bytedeco.cuda.global.cudart.cuMemAlloc;
import static org.bytedeco.cuda.global.cudart.cuMemFree;
import static org.bytedeco.cuda.global.cudart.cuMemGetInfo;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * A caching device allocator: freed blocks go to a free list per rounded size and are handed out
 * again, so a training step makes no cuMemAlloc once its sizes have been seen. Sizes are rounded up to
 * 512 bytes below 1 MiB and to 2 MiB above; a request is served by a cached block of exactly its
 * rounded size. All work is ordered on the device's one stream, so a block freed by one op and reused
 * by the next needs no event. On out-of-memory the cache is returned to the driver and the allocation
 * retried once before a {@link DeviceOutOfMemoryException} names the requested and free bytes.
 */
public final class DeviceAllocator {
    private static final long SMALL = 1 << 20, SMALL_ROUND = 512, LARGE_ROUND = 2 << 20;

    private final CudaContext context;
    private final TreeMap<Long, ArrayDeque<Long>> free = new TreeMap<>();
    private final Map<Long, Long> live = new HashMap<>();
    private long inUse, cached, peak, driverAllocs, reuses;

    DeviceAllocator(CudaContext context) {
        this.context = context;
    }

    /** Counters of the allocator at one moment. */
    public static final class Stats {
        public final long inUseBytes, cachedBytes, peakInUseBytes, driverAllocations, cacheHits;

        Stats(long inUse, long cached, long peak, long allocs, long hits) {
            this.inUseBytes = inUse;
            this.cachedBytes = cached;
            this.peakInUseBytes = peak;
            this.driverAllocations = allocs;
            this.cacheHits = hits;
        }

        @Override
        public String toString() {
            return String.format("in use %,d B (peak %,d), cached %,d B, %d driver allocations, %d cache hits", inUseBytes,
                    peakInUseBytes, cachedBytes, driverAllocations, cacheHits);
        }
    }

    static long round(long bytes) {
        long b = Math.max(bytes, 1);
        long unit = b < SMALL ? SMALL_ROUND : LARGE_ROUND;
        return (b + unit - 1) / unit * unit;
    }

    /** A device address of at least {@code bytes} bytes. */
    public synchronized long allocate(long bytes) {
        long size = round(bytes);
        ArrayDeque<Long> list = free.get(size);
        long addr;
        if (list != null && !list.isEmpty()) {
            addr = list.pop();
            cached -= size;
            reuses++;
        } else {
            addr = driverAlloc(bytes, size);
        }
        live.put(addr, size);
        inUse += size;
        peak = Math.max(peak, inUse);
        return addr;
    }

    /** Returns a block to the cache (not to the driver). */
    public synchronized void release(long addr) {
        Long size = live.remove(addr);
        if (size == null) throw new IllegalStateException("device address 0x" + Long.toHexString(addr) + " was not allocated here");
        inUse -= size;
        cached += size;
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(addr);
    }

    /** Gives every cached block back to the driver. */
    public synchronized void emptyCache() {
        context.makeCurrent();
        for (ArrayDeque<Long> list : free.values()) {
            for (long a : list) Driver.check(cuMemFree(a), "cuMemFree");
        }
        free.clear();
        cached = 0;
    }

    public synchronized Stats stats() {
        return new Stats(inUse, cached, peak, driverAllocs, reuses);
    }

    private long driverAlloc(long requested, long size) {
        context.makeCurrent();
        long[] out = new long[1];
        int r = cuMemAlloc(out, size);
        if (r == CUDA_ERROR_OUT_OF_MEMORY) {
            emptyCache();
            r = cuMemAlloc(out, size);
        }
        if (r == CUDA_ERROR_OUT_OF_MEMORY) {
            long[] info = memInfo();
            throw new DeviceOutOfMemoryException(String.format(
                    "CUDA out of memory on %s: requested %,d bytes (%,d rounded), %,d bytes free of %,d; dinoj holds %,d bytes in use",
                    context.device(), requested, size, info[0], info[1], inUse), r, requested, info[0]);
        }
        Driver.check(r, "cuMemAlloc(" + size + " bytes)");
        driverAllocs++;
        return out[0];
    }

    /** {free, total} bytes of the device. */
    long[] memInfo() {
        try (SizeTPointer f = new SizeTPointer(1); SizeTPointer t = new SizeTPointer(1)) {
            Driver.check(cuMemGetInfo(f, t), "cuMemGetInfo");
            return new long[] {f.get(), t.get()};
        }
    }
}
