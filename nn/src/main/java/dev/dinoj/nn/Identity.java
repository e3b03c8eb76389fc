package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;

/** Returns its input. */
public final class Identity extends Module {
    @Override
    public Variable forward(Variable x) {
        return x;
    }
}
