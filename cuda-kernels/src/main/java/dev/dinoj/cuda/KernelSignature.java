package dev.dinoj.cuda;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A kernel's name and parameter types, as its {@code extern "C" __global__} declaration in native/src
 * has them ({@code KernelSignaturesTest} compares the two). Every launch is checked against it before
 * it reaches the driver, so a missing, extra or mistyped argument fails with both lists, not as a
 * kernel reading garbage.
 */
final class KernelSignature {
    /** The C parameter kinds a launch can pass; any pointer is a device address. */
    enum Param {
        PTR("pointer"), I32("int"), I64("long long"), F32("float"), F64("double"), SHAPE8("Shape8"), STRIDES8("Strides8");

        final String c;

        Param(String c) {
            this.c = c;
        }
    }

    final String name;
    final List<Param> params;

    KernelSignature(String name, Param... params) {
        this.name = name;
        this.params = List.of(params);
    }

    /** Refuses a launch whose arguments do not have this kernel's parameter types. */
    void check(List<Param> given) {
        if (!given.equals(params)) {
            throw new IllegalStateException("kernel " + name + " takes (" + spell(params) + ") but the launch passed (" + spell(given) + ")");
        }
    }

    static String spell(List<Param> params) {
        return params.stream().map(p -> p.c).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return name + "(" + spell(params) + ")";
    }
}
