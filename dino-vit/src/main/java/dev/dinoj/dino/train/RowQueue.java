package dev.dinoj.dino.train;

import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;

import java.util.Map;

/**
 * What a method keeps of past steps as a ring of rows: MoCo v2's queue of keys, SwAV's queues of
 * projections. Its tensor's dimension {@code dim} holds the L rows; each step's batch (B rows, B dividing L,
 * as the loader's batches are all full and the options are checked) overwrites the oldest. Checkpointed
 * under two names: the rows, and the write position ([next] for a queue that starts full of real rows,
 * [next, filled] for one that starts empty and fills).
 */
final class RowQueue {
    private final String rowsKey, positionKey, owner;
    private final int dim;
    private final boolean startsFull;
    private Tensor rows;
    private int next, filled;

    /**
     * @param initial    the starting rows (escaped from any scope: the queue owns them)
     * @param startsFull whether those rows count as written (MoCo v2's random keys) or as empty places (SwAV)
     * @param owner      the method, for error messages ("a MoCo v2 run's queue")
     */
    RowQueue(Tensor initial, int dim, boolean startsFull, String rowsKey, String positionKey, String owner) {
        this.rows = TensorScope.escape(initial);
        this.dim = dim;
        this.startsFull = startsFull;
        this.filled = startsFull ? initial.size(dim) : 0;
        this.rowsKey = rowsKey;
        this.positionKey = positionKey;
        this.owner = owner;
    }

    /** Whether every row has been written. */
    boolean full() {
        return filled == rows.size(dim);
    }

    /** The rows, moved to {@code device} the first time it differs. */
    Tensor rowsOn(Device device) {
        if (!rows.device().equals(device)) {
            Tensor moved = TensorScope.escape(rows.to(device));
            rows.close();
            rows = moved;
        }
        return rows;
    }

    /** Writes the batch's rows (its dimension dim) over the oldest. */
    void push(Tensor batch) {
        int b = batch.size(dim), length = rows.size(dim);
        rows.narrow(dim, next, b).copyFrom(batch);
        next = (next + b) % length;
        filled = Math.min(length, filled + b);
    }

    void putState(Map<String, Tensor> state) {
        state.put(rowsKey, rows);
        state.put(positionKey, Tensor.fromIndices(startsFull ? new int[] {next} : new int[] {next, filled}));
    }

    void loadState(Map<String, Tensor> checkpoint) {
        Tensor q = checkpoint.get(rowsKey), position = checkpoint.get(positionKey);
        if (q == null || position == null) throw new IllegalArgumentException("checkpoint has no " + rowsKey + " / " + positionKey + " (" + owner + ")");
        if (!q.shape().equals(rows.shape())) throw new IllegalArgumentException("checkpoint: " + rowsKey + " is " + q.shape() + ", not " + rows.shape());
        rows.copyFrom(q.to(rows.device()));
        int[] p = position.toIntArray();
        next = p[0];
        filled = startsFull ? rows.size(dim) : p[1];
    }

    void close() {
        rows.close();
    }
}
