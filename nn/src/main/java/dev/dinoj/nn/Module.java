package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A layer or a model: named parameters (leaf {@link Variable}s), named buffers (tensors saved with the
 * state but not trained) and named submodules, all in registration order. Names nest with dots, as
 * in PyTorch ({@code blocks.0.attn.qkv.weight}), so state dicts match the reference implementations.
 */
public abstract class Module {
    private final Map<String, Variable> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;
    private Generator generator = Generator.global();

    /** The module's computation on one input; modules with other signatures offer their own methods. */
    public Variable forward(Variable x) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not take a single input");
    }

    /** Parameters live as long as the module: they never belong to a {@link TensorScope}. */
    protected final Variable registerParameter(String name, Tensor value) {
        checkName(name);
        Variable p = Variable.leaf(TensorScope.escape(value));
        parameters.put(name, p);
        return p;
    }

    /** A non-trained tensor saved with the state; read it through {@link #buffer}, since {@link #to} replaces it. */
    protected final Tensor registerBuffer(String name, Tensor value) {
        checkName(name);
        buffers.put(name, TensorScope.escape(value));
        return value;
    }

    protected final Tensor buffer(String name) {
        Tensor b = buffers.get(name);
        if (b == null) throw new IllegalArgumentException(getClass().getSimpleName() + " has no buffer '" + name + "'");
        return b;
    }

    protected final <M extends Module> M registerModule(String name, M module) {
        checkName(name);
        children.put(name, module);
        module.train(training);
        module.setGenerator(generator);
        return module;
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) throw new IllegalArgumentException("invalid name '" + name + "': must be non-empty without dots");
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": name '" + name + "' is already registered");
        }
    }

    /** All parameters with dotted names, depth-first in registration order. */
    public final Map<String, Variable> namedParameters() {
        Map<String, Variable> out = new LinkedHashMap<>();
        collect("", out, null);
        return out;
    }

    public final List<Variable> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** All buffers with dotted names. */
    public final Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", null, out);
        return out;
    }

    private void collect(String prefix, Map<String, Variable> params, Map<String, Tensor> bufs) {
        if (params != null) parameters.forEach((k, v) -> params.put(prefix + k, v));
        if (bufs != null) buffers.forEach((k, v) -> bufs.put(prefix + k, v));
        children.forEach((k, m) -> m.collect(prefix + k + ".", params, bufs));
    }

    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Number of parameter elements (trainable or frozen). */
    public final long parameterCount() {
        long n = 0;
        for (Variable p : namedParameters().values()) n += p.data().numel();
        return n;
    }

    /**
     * Moves every parameter and buffer, here and in every submodule, to {@code device} (parameters keep
     * their identity, so optimizers and modules holding them stay valid). Returns this module.
     */
    public Module to(Device device) {
        for (Variable p : parameters.values()) p.moveTo(device);
        for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
            Tensor b = e.getValue();
            if (!b.device().equals(device)) {
                e.setValue(TensorScope.escape(b.to(device)));
                b.close();
            }
        }
        for (Module m : children.values()) m.to(device);
        return this;
    }

    /** The device of the module's parameters (the CPU for a module without any). */
    public final Device device() {
        for (Variable p : namedParameters().values()) return p.data().device();
        return Device.CPU;
    }

    public final void zeroGrad() {
        for (Variable p : namedParameters().values()) p.zeroGrad();
    }

    /** Sets training mode (dropout, drop-path active) here and in every submodule. */
    public Module train(boolean on) {
        training = on;
        for (Module m : children.values()) m.train(on);
        return this;
    }

    public final Module eval() {
        return train(false);
    }

    public final boolean isTraining() {
        return training;
    }

    /** The random stream of stochastic layers (dropout, drop-path), here and in every submodule. */
    public final Module setGenerator(Generator g) {
        generator = g;
        for (Module m : children.values()) m.setGenerator(g);
        return this;
    }

    protected final Generator generator() {
        return generator;
    }

    /** Parameters and buffers by dotted name; the tensors are the live ones (copy before mutating). */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedParameters().forEach((k, v) -> out.put(k, v.data()));
        out.putAll(namedBuffers());
        return out;
    }

    /**
     * Copies values into the parameters and buffers. Shape mismatches always fail; with {@code strict},
     * missing and unexpected keys fail too. The check happens before anything is copied, so a failed
     * load changes nothing. Returns what was missing and unexpected.
     */
    public final LoadResult loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>(), mismatched = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src == null) {
                missing.add(e.getKey());
            } else if (!src.shape().equals(e.getValue().shape())) {
                mismatched.add(e.getKey() + ": checkpoint " + src.shape() + ", model " + e.getValue().shape());
            } else if (src.dtype() != e.getValue().dtype()) {
                mismatched.add(e.getKey() + ": checkpoint " + src.dtype() + ", model " + e.getValue().dtype());
            }
        }
        List<String> unexpected = new ArrayList<>(new TreeSet<>(state.keySet()));
        unexpected.removeAll(own.keySet());
        if (!mismatched.isEmpty() || (strict && (!missing.isEmpty() || !unexpected.isEmpty()))) {
            StringBuilder sb = new StringBuilder("loadStateDict: the state does not fit " + getClass().getSimpleName());
            if (!mismatched.isEmpty()) sb.append("\n  shape mismatches: ").append(String.join("; ", mismatched));
            if (strict && !missing.isEmpty()) sb.append("\n  missing keys: ").append(String.join(", ", missing));
            if (strict && !unexpected.isEmpty()) sb.append("\n  unexpected keys: ").append(String.join(", ", unexpected));
            throw new IllegalArgumentException(sb.toString());
        }
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src != null) e.getValue().copyFrom(src.to(e.getValue().device()));
        }
        return new LoadResult(missing, unexpected);
    }

    /** Keys a non-strict load did not find, and keys it did not use. */
    public static final class LoadResult {
        private final List<String> missing, unexpected;

        LoadResult(List<String> missing, List<String> unexpected) {
            this.missing = List.copyOf(missing);
            this.unexpected = List.copyOf(unexpected);
        }

        public List<String> missingKeys() {
            return missing;
        }

        public List<String> unexpectedKeys() {
            return unexpected;
        }
    }
}
