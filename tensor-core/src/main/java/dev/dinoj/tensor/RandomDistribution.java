package dev.dinoj.tensor;

/**
 * Distributions of the counter-based generator. Parameters a and b: UNIFORM on [a, b), NORMAL with
 * mean a and standard deviation b, BERNOULLI 1 with probability a.
 */
public enum RandomDistribution {
    UNIFORM, NORMAL, BERNOULLI;

    /** Philox counters (blocks of four 32-bit words) consumed per element. */
    public int wordsPerElement() {
        return this == NORMAL ? 2 : 1;
    }
}
