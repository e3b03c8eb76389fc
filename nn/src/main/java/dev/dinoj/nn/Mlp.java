package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;

/** fc1 -> GELU -> dropout -> fc2 -> dropout, the transformer MLP (names fc1, fc2 as in timm/DINO). */
public final class Mlp extends Module {
    private final Linear fc1, fc2;
    private final Gelu act;
    private final Dropout drop;

    public Mlp(int in, int hidden, int out, float drop, Generator g) {
        this.fc1 = registerModule("fc1", new Linear(in, hidden, true, g));
        this.act = registerModule("act", new Gelu());
        this.fc2 = registerModule("fc2", new Linear(hidden, out, true, g));
        this.drop = registerModule("drop", new Dropout(drop));
    }

    @Override
    public Variable forward(Variable x) {
        return drop.forward(fc2.forward(drop.forward(act.forward(fc1.forward(x)))));
    }
}
