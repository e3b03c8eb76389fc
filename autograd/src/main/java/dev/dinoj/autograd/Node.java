package dev.dinoj.autograd;

/** A recorded op: its inputs and backward rule. Freed (rule dropped) after backward unless retained. */
final class Node {
    final String op;
    Variable[] inputs;
    Backward backward;

    Node(String op, Variable[] inputs, Backward backward) {
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
    }

    boolean isFreed() {
        return backward == null;
    }

    void free() {
        inputs = null;
        backward = null;
    }
}
