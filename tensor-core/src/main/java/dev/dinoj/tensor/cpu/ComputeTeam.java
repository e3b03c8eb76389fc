package dev.dinoj.tensor.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The threads that run {@link Parallel}'s loops: the calling thread and {@code threads - 1} workers,
 * OpenMP-style. The caller publishes a loop, takes pieces itself and returns when the last piece is
 * done; a worker that finishes a loop waits for the next one for a while ({@code dinoj.spinMicros},
 * default 200; pausing, then yielding its core to any other runnable thread) before it parks, so the
 * next loop of a training step (usually microseconds later) starts without a wake-up.
 *
 * <p>Why not the ForkJoinPool it replaced: an external {@code invoke} parks the caller and wakes two
 * workers per loop, and a small step is hundreds of loops of a few microseconds each; at batch 16 the
 * DINO step ran slower on two threads than on one (123 against 132 images/s on a 2-core AMD EPYC).
 *
 * <p>One loop at a time: a second thread that calls while a loop runs, and any loop started from
 * inside a piece, runs on its own thread (the result is the same, only not parallel), so nothing can
 * wait on itself.
 */
final class ComputeTeam {
    private static final long SPIN_NANOS = spinNanos();

    private final int threads;
    private final Worker[] workers;
    private final ReentrantLock owner = new ReentrantLock();
    private volatile Loop current;
    private long loops; // numbers the loops, so a worker remembers the last one it saw by number, not by reference
    private volatile boolean shutdown;

    ComputeTeam(int threads) {
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(this, i + 1);
            workers[i].start();
        }
    }

    int threads() {
        return threads;
    }

    /** True on a worker of any team, or on a caller inside one of its own loops: nested loops run inline. */
    static boolean inside() {
        Thread t = Thread.currentThread();
        return t instanceof Worker || INSIDE.get()[0];
    }

    private static final ThreadLocal<boolean[]> INSIDE = ThreadLocal.withInitial(() -> new boolean[1]);

    /**
     * Runs body over [0, n) in pieces [k * size, min(n, (k + 1) * size)); returns false without running
     * anything when another thread's loop holds the team (the caller then runs the loop itself).
     */
    boolean run(int n, int size, Parallel.Range body) {
        if (!owner.tryLock()) return false;
        boolean[] inside = INSIDE.get();
        inside[0] = true;
        try {
            Loop loop = new Loop(++loops, body, n, size, Thread.currentThread());
            current = loop;
            for (Worker w : workers) {
                if (w.parked) LockSupport.unpark(w);
            }
            loop.work();
            loop.awaitDone();
            current = null; // the loop's body (and what it captured) is not kept alive until the next loop
            loop.rethrow();
            return true;
        } finally {
            inside[0] = false;
            owner.unlock();
        }
    }

    /** Lets the workers end (after the loop they may be running). */
    void shutdown() {
        shutdown = true;
        for (Worker w : workers) LockSupport.unpark(w);
    }

    /**
     * One turn of a wait that began at {@code since}: a CPU pause for the first microseconds, then a yield,
     * so that a waiting thread gives its core to any other runnable thread (the data loader, another
     * process) instead of spinning against it.
     */
    private static void pause(long since) {
        if (System.nanoTime() - since < 20_000L) Thread.onSpinWait();
        else Thread.yield();
    }

    private static long spinNanos() {
        String p = System.getProperty("dinoj.spinMicros");
        if (p == null) return 200_000L;
        try {
            long micros = Long.parseLong(p.trim());
            if (micros >= 0) return micros * 1_000L;
        } catch (NumberFormatException ignored) {
            // fall through to the error
        }
        throw new IllegalArgumentException("system property dinoj.spinMicros must be a non-negative integer, got '" + p + "'");
    }

    /** One published loop: its pieces are handed out by a counter, so who runs which piece does not matter. */
    private static final class Loop {
        private final long id;
        private final Parallel.Range body;
        private final int n, size, pieces;
        private final Thread caller;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private volatile boolean callerParked;
        private volatile Throwable failure;

        Loop(long id, Parallel.Range body, int n, int size, Thread caller) {
            this.id = id;
            this.body = body;
            this.n = n;
            this.size = size;
            this.pieces = (n + size - 1) / size;
            this.caller = caller;
        }

        void work() {
            int k;
            while ((k = next.getAndIncrement()) < pieces) {
                try {
                    if (failure == null) body.run(k * size, (int) Math.min(n, (long) (k + 1) * size));
                } catch (Throwable t) {
                    synchronized (this) {
                        if (failure == null) failure = t;
                    }
                } finally {
                    if (done.incrementAndGet() == pieces && callerParked) LockSupport.unpark(caller);
                }
            }
        }

        /** The caller waits for the pieces the workers took: spinning first, then parked until the last one wakes it. */
        void awaitDone() {
            long since = System.nanoTime();
            while (done.get() < pieces) {
                if (System.nanoTime() - since < SPIN_NANOS) {
                    pause(since);
                    continue;
                }
                callerParked = true;
                if (done.get() < pieces) LockSupport.park(this);
            }
        }

        void rethrow() {
            Throwable t = failure;
            if (t == null) return;
            if (t instanceof RuntimeException) throw (RuntimeException) t;
            if (t instanceof Error) throw (Error) t;
            throw new IllegalStateException(t);
        }
    }

    private static final class Worker extends Thread {
        private final ComputeTeam team;
        volatile boolean parked;

        Worker(ComputeTeam team, int index) {
            super("dinoj-cpu-" + index);
            this.team = team;
            setDaemon(true);
        }

        @Override
        public void run() {
            long seen = 0;
            long idleSince = System.nanoTime();
            while (!team.shutdown) {
                Loop loop = team.current;
                if (loop != null && loop.id != seen) {
                    seen = loop.id;
                    loop.work();
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    pause(idleSince);
                } else {
                    // Publish "parked" before the last look at the loop: the caller writes the loop before it
                    // reads the flag, so one of the two sees the other (no lost wake-up).
                    parked = true;
                    Loop next = team.current;
                    if ((next == null || next.id == seen) && !team.shutdown) LockSupport.park(this);
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }
}
