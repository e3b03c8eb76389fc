package dev.dinoj.autograd;

/**
 * Whether ops record the graph, per thread. {@code try (var s = GradMode.disabled()) { ... }} turns
 * recording off inside the block (evaluation, the EMA teacher update) and restores the previous
 * mode when the block ends, even on an exception.
 */
public final class GradMode {
    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> Boolean.TRUE);

    private GradMode() {}

    public static boolean isEnabled() {
        return ENABLED.get();
    }

    /** A scope in which no graph is recorded. */
    public static Scope disabled() {
        return set(false);
    }

    /** A scope in which the graph is recorded again (inside a disabled one). */
    public static Scope enabled() {
        return set(true);
    }

    private static Scope set(boolean on) {
        boolean previous = ENABLED.get();
        ENABLED.set(on);
        return new Scope(previous);
    }

    /** Restores the previous mode on close. */
    public static final class Scope implements AutoCloseable {
        private final boolean previous;
        private boolean closed;

        private Scope(boolean previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                ENABLED.set(previous);
            }
        }
    }
}
