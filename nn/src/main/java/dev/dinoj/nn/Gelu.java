package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;

/** Exact GELU, x * Phi(x) (the erf form, as nn.GELU()). */
public final class Gelu extends Module {
    @Override
    public Variable forward(Variable x) {
        return x.gelu();
    }
}
