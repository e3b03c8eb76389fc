package dev.dinoj.tensor.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.CountedCompleter;

/**
 * The one shared thread pool of the CPU backend and the loops that use it. Its size defaults to the
 * number of processors, or the system property {@code dinoj.threads}, and can be changed at run time.
 * Work submitted from inside the pool runs on the calling thread, so nested parallel loops never deadlock.
 */
public final class Parallel {
    /** Work (in rough element-operations) below which a loop is not worth splitting. */
    public static final long MIN_WORK = 32_768;

    private static volatile ForkJoinPool pool = newPool(defaultThreads());

    private Parallel() {}

    /** A contiguous piece [start, end) of a loop. */
    @FunctionalInterface
    public interface Range {
        void run(int start, int end);
    }

    private static int defaultThreads() {
        String p = System.getProperty("dinoj.threads");
        if (p != null) {
            try {
                int n = Integer.parseInt(p.trim());
                if (n > 0) return n;
            } catch (NumberFormatException ignored) {
                // fall through to the processor count
            }
            throw new IllegalArgumentException("system property dinoj.threads must be a positive integer, got '" + p + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    private static ForkJoinPool newPool(int threads) {
        return new ForkJoinPool(threads, p -> {
            ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("dinoj-cpu-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false);
    }

    public static int threads() {
        return pool.getParallelism();
    }

    /** Resizes the pool; loops already running finish on the old one. */
    public static synchronized void setThreads(int threads) {
        if (threads <= 0) throw new IllegalArgumentException("thread count must be positive, got " + threads);
        if (threads == threads()) return;
        ForkJoinPool old = pool;
        pool = newPool(threads);
        old.shutdown();
    }

    /**
     * Runs body over [0, n) in pieces of at least {@code grain} iterations, on all threads when the
     * loop is big enough ({@code workPerItem * n >= MIN_WORK}), else on the caller.
     */
    public static void forRange(int n, int grain, long workPerItem, Range body) {
        if (n <= 0) return;
        ForkJoinPool p = pool;
        int t = p.getParallelism();
        int g = Math.max(1, grain);
        if (t == 1 || n <= g || (long) n * Math.max(1, workPerItem) < MIN_WORK || inPool()) {
            body.run(0, n);
            return;
        }
        int pieces = (int) Math.min((n + g - 1) / g, 4L * t);
        int size = (n + pieces - 1) / pieces;
        size = (size + g - 1) / g * g;
        p.invoke(new Split(null, body, 0, n, size));
    }

    /** Runs task(i) for i in [0, tasks), one task per piece of work, in parallel. */
    public static void forEach(int tasks, java.util.function.IntConsumer task) {
        if (tasks <= 0) return;
        if (tasks == 1 || pool.getParallelism() == 1 || inPool()) {
            for (int i = 0; i < tasks; i++) task.accept(i);
            return;
        }
        pool.invoke(new Split(null, (s, e) -> {
            for (int i = s; i < e; i++) task.accept(i);
        }, 0, tasks, 1));
    }

    private static boolean inPool() {
        Thread t = Thread.currentThread();
        return t instanceof ForkJoinWorkerThread && ((ForkJoinWorkerThread) t).getPool() == pool;
    }

    /**
     * The loop's pieces, split in halves at multiples of {@code size} from the start (so the pieces are
     * the same, whoever runs them), as a CountedCompleter: a thread forks the right half, goes on with the
     * left and finishes with its last piece, never waiting for another's (RecursiveAction's joins made a
     * worker wait for a stolen half, and the pool then started a spare thread to keep its parallelism: a
     * third busy thread on two cores).
     */
    private static final class Split extends CountedCompleter<Void> {
        private static final long serialVersionUID = 1L;
        private final transient Range body;
        private final int start, end, size;

        Split(CountedCompleter<?> parent, Range body, int start, int end, int size) {
            super(parent);
            this.body = body;
            this.start = start;
            this.end = end;
            this.size = size;
        }

        @Override
        public void compute() {
            int e = end;
            while (e - start > size) {
                int pieces = (e - start + size - 1) / size;
                int mid = start + (pieces / 2) * size;
                addToPendingCount(1);
                new Split(this, body, mid, e, size).fork();
                e = mid;
            }
            body.run(start, e);
            tryComplete();
        }
    }
}
