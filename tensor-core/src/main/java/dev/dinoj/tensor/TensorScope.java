package dev.dinoj.tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Deterministic release of the many short-lived tensors a computation creates (autograd
 * intermediates, gradients, temporaries): every tensor created on this thread while a scope is open
 * belongs to it, and closing the scope closes them all, giving device memory back at once instead of
 * whenever the garbage collector runs. A training step reads:
 *
 * <pre>{@code
 * try (TensorScope step = TensorScope.open()) {
 *     Variable loss = model.forward(batch) ...;
 *     loss.backward();
 *     optimizer.step();           // updates parameters in place
 *     return loss.item();         // plain values leave the scope freely
 * }
 * }</pre>
 *
 * A tensor that must outlive the scope is handed on with {@link #keep} (to the enclosing scope) or
 * taken out of scope management altogether with {@link #escape} (its owner then closes it: optimizer
 * state, running statistics). Scopes nest and are closed in reverse order of opening, on the thread
 * that opened them. Tensors created on other threads, or where no scope is open, are not tracked.
 */
public final class TensorScope implements AutoCloseable {
    private static final ThreadLocal<TensorScope> CURRENT = new ThreadLocal<>();

    private final TensorScope parent;
    private final Thread thread;
    private final List<Tensor> tensors = new ArrayList<>();
    private boolean closed;

    private TensorScope(TensorScope parent) {
        this.parent = parent;
        this.thread = Thread.currentThread();
    }

    /** Opens a scope on this thread, nested in the one already open (if any). */
    public static TensorScope open() {
        TensorScope s = new TensorScope(CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    /** The innermost open scope of this thread, or null. */
    public static TensorScope current() {
        return CURRENT.get();
    }

    static void register(Tensor t) {
        TensorScope s = CURRENT.get();
        if (s != null) {
            s.tensors.add(t);
            t.scope = s;
        }
    }

    /**
     * Takes {@code t} out of whichever scope owns it: no scope will close it, the caller must (or, on
     * the CPU, may leave it to the garbage collector). Returns {@code t}.
     */
    public static Tensor escape(Tensor t) {
        t.scope = null;
        return t;
    }

    /** Hands {@code t}, owned by this scope, to the enclosing scope (or to no scope at the outermost level). Returns {@code t}. */
    public Tensor keep(Tensor t) {
        if (t.scope != this) {
            throw new IllegalArgumentException("TensorScope.keep: " + t.describe() + " does not belong to this scope");
        }
        t.scope = parent;
        if (parent != null) parent.tensors.add(t);
        return t;
    }

    /** Whether this scope would close {@code t} (created here, not kept or escaped). */
    public boolean owns(Tensor t) {
        return t.scope == this;
    }

    /** How many tensors this scope would close now (created here, still open, not kept or escaped). */
    public int openTensors() {
        int n = 0;
        for (Tensor t : tensors) if (t.scope == this && !t.isClosed()) n++;
        return n;
    }

    /** Closes every tensor this scope still owns, and makes the enclosing scope current again. */
    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("TensorScope.close: a scope must be closed on the thread that opened it (" + thread.getName() + ")");
        }
        if (CURRENT.get() != this) {
            throw new IllegalStateException("TensorScope.close: an inner scope is still open; close scopes in reverse order of opening");
        }
        closed = true;
        CURRENT.set(parent);
        for (Tensor t : tensors) {
            if (t.scope == this) {
                t.scope = null;
                t.close();
            }
        }
        tensors.clear();
    }
}
