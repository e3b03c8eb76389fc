package dev.dinoj.dino.data;

import dev.dinoj.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Batches of multi-crop views for one epoch: a seeded shuffle of the dataset (the last incomplete
 * batch is dropped, as the reference's drop_last), images decoded and augmented on a pool of worker
 * threads, and a few batches prefetched ahead of the training loop. Every random choice for image i
 * in epoch e comes from a stream seeded by (seed, e, i), so batches are identical whatever the
 * thread count or timing.
 */
public final class MultiCropLoader implements AutoCloseable {
    private final ImageDataset dataset;
    private final MultiCropAugmentation augmentation;
    private final int batchSize, prefetch;
    private final long seed;
    private final ExecutorService workers;
    /** Assembles batches in order; separate from the workers so that waiting on samples never starves them. */
    private final ExecutorService assembler;

    public MultiCropLoader(ImageDataset dataset, MultiCropAugmentation augmentation, int batchSize, int workers, int prefetch, long seed) {
        if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        if (dataset.size() < batchSize) {
            throw new IllegalArgumentException("the dataset has " + dataset.size() + " images, fewer than one batch of " + batchSize);
        }
        if (workers <= 0) throw new IllegalArgumentException("worker count must be positive, got " + workers);
        this.dataset = dataset;
        this.augmentation = augmentation;
        this.batchSize = batchSize;
        this.prefetch = Math.max(1, prefetch);
        this.seed = seed;
        this.workers = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "dinoj-data");
            t.setDaemon(true);
            return t;
        });
        this.assembler = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "dinoj-batches");
            t.setDaemon(true);
            return t;
        });
    }

    /** Full batches per epoch. */
    public int batchesPerEpoch() {
        return dataset.size() / batchSize;
    }

    /** One batch: each crop position as a tensor [B, 3, s, s], and the dataset indices. */
    public static final class Batch {
        public final List<Tensor> crops;
        public final int[] indices;

        Batch(List<Tensor> crops, int[] indices) {
            this.crops = crops;
            this.indices = indices;
        }
    }

    /** The epoch's order of dataset indices. */
    public int[] order(int epoch) {
        int n = dataset.size();
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom r = new SplittableRandom(mix(seed, epoch, -1));
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    static long mix(long seed, long epoch, long index) {
        long z = seed * 0x9E3779B97F4A7C15L ^ (epoch + 1) * 0xC2B2AE3D27D4EB4FL ^ (index + 2) * 0x165667B19E3779F9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Iterates the batches of an epoch starting at batch {@code from} (to resume mid-epoch). */
    public Iterable<Batch> epoch(int epoch, int from) {
        int[] order = order(epoch);
        int total = batchesPerEpoch();
        return () -> new java.util.Iterator<>() {
            private final Deque<CompletableFuture<Batch>> queue = new ArrayDeque<>();
            private int next = from;

            private void fill() {
                while (queue.size() < prefetch && next < total) {
                    int b = next++;
                    queue.add(CompletableFuture.supplyAsync(() -> load(order, epoch, b), assembler));
                }
            }

            @Override
            public boolean hasNext() {
                fill();
                return !queue.isEmpty();
            }

            @Override
            public Batch next() {
                fill();
                try {
                    return queue.poll().get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while loading a batch", e);
                } catch (ExecutionException e) {
                    Throwable c = e.getCause() instanceof java.util.concurrent.CompletionException ? e.getCause().getCause() : e.getCause();
                    if (c instanceof UncheckedIOException) throw (UncheckedIOException) c;
                    if (c instanceof RuntimeException) throw (RuntimeException) c;
                    throw new IllegalStateException(c);
                } finally {
                    fill();
                }
            }
        };
    }

    private Batch load(int[] order, int epoch, int batch) {
        int[] idx = new int[batchSize];
        List<CompletableFuture<List<float[]>>> parts = new ArrayList<>(batchSize);
        for (int k = 0; k < batchSize; k++) {
            int i = order[batch * batchSize + k];
            idx[k] = i;
            parts.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return augmentation.apply(dataset.image(i), new SplittableRandom(mix(seed, epoch, i)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, workers));
        }
        List<List<float[]>> samples = new ArrayList<>(batchSize);
        for (CompletableFuture<List<float[]>> f : parts) samples.add(f.join());
        int crops = augmentation.cropCount();
        List<Tensor> out = new ArrayList<>(crops);
        for (int c = 0; c < crops; c++) {
            int s = c < 2 ? augmentation.globalSize() : augmentation.localSize();
            int per = 3 * s * s;
            float[] flat = new float[batchSize * per];
            for (int k = 0; k < batchSize; k++) System.arraycopy(samples.get(k).get(c), 0, flat, k * per, per);
            out.add(Tensor.fromArray(flat, batchSize, 3, s, s));
        }
        return new Batch(out, idx);
    }

    @Override
    public void close() {
        assembler.shutdownNow();
        workers.shutdownNow();
    }
}
