package dev.dinoj.tensor.cpu;

/**
 * The loops of the CPU backend and the one team of threads that runs them ({@link ComputeTeam}: the
 * caller and {@code threads - 1} workers). Its size defaults to the number of processors, or the
 * system property {@code dinoj.threads}, and can be changed at run time. A loop started inside a
 * loop's piece runs on that thread, so nested parallel loops never deadlock.
 */
public final class Parallel {
    /** Work (in rough element-operations) below which a loop is not worth splitting. */
    public static final long MIN_WORK = 32_768;

    private static volatile ComputeTeam team = new ComputeTeam(defaultThreads());

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

    public static int threads() {
        return team.threads();
    }

    /** Resizes the team; loops already running finish on the old one. */
    public static synchronized void setThreads(int threads) {
        if (threads <= 0) throw new IllegalArgumentException("thread count must be positive, got " + threads);
        if (threads == threads()) return;
        ComputeTeam old = team;
        team = new ComputeTeam(threads);
        old.shutdown();
    }

    /**
     * Runs body over [0, n) in pieces of at least {@code grain} iterations, on all threads when the
     * loop is big enough ({@code workPerItem * n >= MIN_WORK}), else on the caller. The pieces are
     * [k * size, (k + 1) * size) for one size that is a multiple of the grain, whoever runs them.
     */
    public static void forRange(int n, int grain, long workPerItem, Range body) {
        if (n <= 0) return;
        ComputeTeam tm = team;
        int t = tm.threads();
        int g = Math.max(1, grain);
        if (t == 1 || n <= g || (long) n * Math.max(1, workPerItem) < MIN_WORK || ComputeTeam.inside()) {
            body.run(0, n);
            return;
        }
        int pieces = (int) Math.min(((long) n + g - 1) / g, 4L * t);
        int size = (int) Math.min(n, (((long) n + pieces - 1) / pieces + g - 1) / g * g);
        if (!tm.run(n, size, body)) runPieces(n, size, body);
    }

    /** Runs task(i) for i in [0, tasks), one task per piece of work, in parallel. */
    public static void forEach(int tasks, java.util.function.IntConsumer task) {
        if (tasks <= 0) return;
        Range body = (s, e) -> {
            for (int i = s; i < e; i++) task.accept(i);
        };
        ComputeTeam tm = team;
        if (tasks == 1 || tm.threads() == 1 || ComputeTeam.inside() || !tm.run(tasks, 1, body)) body.run(0, tasks);
    }

    /** The same pieces as the team would run, one after the other on the caller (kernels with per-piece partial sums rely on them). */
    private static void runPieces(int n, int size, Range body) {
        for (long s = 0; s < n; s += size) body.run((int) s, (int) Math.min(n, s + size));
    }
}
