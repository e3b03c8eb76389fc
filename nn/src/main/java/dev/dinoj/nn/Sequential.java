package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;

import java.util.ArrayList;
import java.util.List;

/** Modules applied in order; their names are "0", "1", ... as in torch.nn.Sequential. */
public final class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    public Sequential(Module... modules) {
        for (Module m : modules) add(m);
    }

    public Sequential add(Module m) {
        layers.add(registerModule(Integer.toString(layers.size()), m));
        return this;
    }

    public Module get(int i) {
        return layers.get(i);
    }

    public int size() {
        return layers.size();
    }

    @Override
    public Variable forward(Variable x) {
        Variable y = x;
        for (Module m : layers) y = m.forward(y);
        return y;
    }
}
