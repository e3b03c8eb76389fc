package dev.dinoj.dino;

import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;

/**
 * A running centre [1, out_dim] of teacher logits, as DINO's loss and DINOv2's iBOT term keep one: it
 * outlives the step scopes (escaped), moves to the device of the logits it centres (it starts on the
 * CPU), and a replaced value is released at once.
 */
final class RunningCenter {
    private final String owner;
    private Tensor value;

    /** @param owner names the loss in error messages ("DINO loss", "iBOT loss") */
    RunningCenter(String owner, int outDim) {
        this.owner = owner;
        this.value = TensorScope.escape(Tensor.zeros(1, outDim));
    }

    Tensor value() {
        return value;
    }

    /** The centre, on {@code logits}' device (moved there if it was elsewhere). */
    Tensor on(Tensor logits) {
        if (!value.device().equals(logits.device())) replace(value.to(logits.device())); // a new tensor: the devices differ
        return value;
    }

    /** Sets the centre to a copy of {@code c}, which must have its shape. */
    void set(Tensor c) {
        if (!c.shape().equals(value.shape())) {
            throw new IllegalArgumentException(owner + ": center shape " + c.shape() + " does not match " + value.shape());
        }
        replace(c.to(value.device()).copy());
    }

    /** Takes {@code fresh} as the centre and releases the one it replaces. */
    void replace(Tensor fresh) {
        Tensor old = value;
        value = TensorScope.escape(fresh);
        old.close();
    }

    void close() {
        value.close();
    }
}
