package dev.dinoj.cuda;

import dev.dinoj.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A list of tensors as the multi-tensor kernels read it, in device memory: their addresses and sizes
 * and a chunk map (4096 elements per chunk, one block each). Built once per parameter list and reused
 * every step; the tensors must stay open and must not be reallocated while the table is used.
 */
public final class MultiTensorTable implements AutoCloseable {
    static final int CHUNK = 4096;
    private final CudaContext ctx;
    private final long[] sizes;
    private final int chunks;
    private final long pointers, sizesAddr, chunkTensor, chunkStart, firstChunk;

    MultiTensorTable(CudaContext ctx, List<Tensor> tensors) {
        if (tensors.isEmpty()) throw new IllegalArgumentException("multi-tensor table: the list is empty");
        this.ctx = ctx;
        int n = tensors.size();
        long[] ptrs = new long[n];
        sizes = new long[n];
        List<Integer> ct = new ArrayList<>();
        List<Long> cs = new ArrayList<>();
        int[] first = new int[n + 1];
        for (int i = 0; i < n; i++) {
            Tensor t = tensors.get(i);
            ptrs[i] = CudaBackend.addr(t);
            sizes[i] = t.numel();
            first[i] = ct.size();
            for (long s = 0; s < sizes[i]; s += CHUNK) {
                ct.add(i);
                cs.add(s);
            }
        }
        first[n] = ct.size();
        chunks = ct.size();
        int[] ctArr = ct.stream().mapToInt(Integer::intValue).toArray();
        long[] csArr = cs.stream().mapToLong(Long::longValue).toArray();
        DeviceAllocator a = ctx.allocator();
        pointers = a.allocate(8L * n);
        sizesAddr = a.allocate(8L * n);
        chunkTensor = a.allocate(4L * Math.max(1, chunks));
        chunkStart = a.allocate(8L * Math.max(1, chunks));
        firstChunk = a.allocate(4L * (n + 1));
        ctx.upload(pointers, ptrs);
        ctx.upload(sizesAddr, sizes);
        ctx.upload(chunkTensor, ctArr, 0, ctArr.length);
        ctx.upload(chunkStart, csArr);
        ctx.upload(firstChunk, first, 0, first.length);
    }

    public int size() {
        return sizes.length;
    }

    long[] sizes() {
        return sizes;
    }

    int chunks() {
        return chunks;
    }

    long pointers() {
        return pointers;
    }

    long sizesAddress() {
        return sizesAddr;
    }

    long chunkTensor() {
        return chunkTensor;
    }

    long chunkStart() {
        return chunkStart;
    }

    long firstChunk() {
        return firstChunk;
    }

    @Override
    public void close() {
        DeviceAllocator a = ctx.allocator();
        for (long p : new long[] {pointers, sizesAddr, chunkTensor, chunkStart, firstChunk}) a.release(p);
    }
}
