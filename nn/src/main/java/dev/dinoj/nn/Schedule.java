package dev.dinoj.nn;

/**
 * A value per iteration: linear warm-up from {@code start} to {@code base} over the warm-up
 * iterations, then a half cosine from {@code base} to {@code end} (DINO's cosine_scheduler, computed
 * the same way). One type serves the learning rate, weight decay, teacher momentum and temperatures;
 * per-epoch values are the same schedule with one iteration per epoch.
 */
public final class Schedule {
    private final double[] values;

    private Schedule(double[] values) {
        this.values = values;
    }

    /**
     * @param base value reached at the end of warm-up and where the cosine starts
     * @param end value the cosine reaches at the last iteration
     * @param epochs number of epochs
     * @param itersPerEpoch iterations per epoch
     * @param warmupEpochs epochs of linear warm-up (0 for none)
     * @param start value at iteration 0 of the warm-up
     */
    public static Schedule warmupCosine(double base, double end, int epochs, int itersPerEpoch, int warmupEpochs, double start) {
        if (epochs <= 0 || itersPerEpoch <= 0) {
            throw new IllegalArgumentException("schedule: epochs and iterations per epoch must be positive, got " + epochs + " and " + itersPerEpoch);
        }
        if (warmupEpochs < 0 || warmupEpochs > epochs) {
            throw new IllegalArgumentException("schedule: warm-up epochs must be in [0, " + epochs + "], got " + warmupEpochs);
        }
        int total = Math.multiplyExact(epochs, itersPerEpoch), warm = warmupEpochs * itersPerEpoch;
        double[] v = new double[total];
        for (int i = 0; i < warm; i++) {
            v[i] = warm == 1 ? start : start + (base - start) * i / (warm - 1); // np.linspace includes both ends
        }
        int rest = total - warm;
        for (int i = 0; i < rest; i++) v[warm + i] = end + 0.5 * (base - end) * (1 + Math.cos(Math.PI * i / rest));
        return new Schedule(v);
    }

    /** The same value at every iteration. */
    public static Schedule constant(double value, int iterations) {
        double[] v = new double[iterations];
        java.util.Arrays.fill(v, value);
        return new Schedule(v);
    }

    public double at(int iteration) {
        if (iteration < 0 || iteration >= values.length) {
            throw new IllegalArgumentException("schedule: iteration " + iteration + " is outside [0, " + values.length + ")");
        }
        return values[iteration];
    }

    public int length() {
        return values.length;
    }
}
