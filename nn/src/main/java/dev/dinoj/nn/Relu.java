package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;

/** max(x, 0), as nn.ReLU(). */
public final class Relu extends Module {
    @Override
    public Variable forward(Variable x) {
        return x.relu();
    }
}
