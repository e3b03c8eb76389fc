package dev.dinoj.dino.train;

/** The loss became NaN or infinite; training stopped and the last good checkpoint was left as it was. */
public final class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TrainingDivergedException(String message) {
        super(message);
    }
}
