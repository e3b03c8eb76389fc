package dev.dinoj.dino.cli;

/** The evaluation commands' checks of numeric options, each naming its option, made before any model or data is read. */
final class OptionChecks {
    private OptionChecks() {}

    static void positive(String option, long value) {
        if (value <= 0) throw new IllegalArgumentException(option + " must be positive, got " + value);
    }
}
