package dev.dinoj.autograd;

import dev.dinoj.tensor.Tensor;

/**
 * The backward rule of one recorded op: given the gradient of the loss with respect to the op's
 * output, the gradients with respect to each input, in input order (null where an input needs none).
 */
@FunctionalInterface
public interface Backward {
    Tensor[] apply(Tensor gradOutput);
}
