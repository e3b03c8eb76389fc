package dev.dinoj.dino.train;

import dev.dinoj.autograd.Variable;
import dev.dinoj.dino.DinoModel;
import dev.dinoj.dino.TeacherHealth;
import dev.dinoj.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * What a self-supervised method adds to the trainer's loop: from one batch of crops and the two networks,
 * the objective to minimise (its forward passes, losses and regularisers), what it keeps between steps
 * (centres), and that state's place in a checkpoint. The trainer owns everything the methods share: data,
 * optimizer, schedules, the momentum teacher's EMA, clipping, checkpoints, logging.
 */
public interface TrainingMethod {
    /** One step's objective: the loss to minimise, the method's headline value of it, the teacher's health (null if none) and named terms. */
    record Objective(Variable loss, double value, TeacherHealth health, Map<String, Double> terms) {}

    /** The method for a run's settings, on a training set of {@code images} images. */
    static TrainingMethod of(TrainConfig config, int images) {
        if (config.method() == TrainConfig.Method.SWAV) return new SwavMethod(config);
        if (config.method() == TrainConfig.Method.INSTDISC) return new InstDiscMethod(config, images);
        return config.method().lineage() ? new TwoViewMethod(config) : new SelfDistillation(config);
    }

    /**
     * The objective of one step on {@code crops} (the 2 global crops first, on the step's device) of the dataset images
     * {@code indices} (null where the caller does not know them; only InstDisc needs them), with gradients reaching the
     * student; {@code teacher} is null for the methods without a momentum teacher. A non-finite value is returned with health
     * null and no terms; nothing is updated until {@link #afterStep}.
     */
    Objective objective(DinoModel student, DinoModel teacher, List<Tensor> crops, int[] indices, int epoch, int iteration);

    /** Updates what the method keeps (centres, queues, memory banks) from the last {@link #objective}, after the optimizer step. */
    default void afterStep() {}

    /** Schedule values of the epoch worth logging beside each step (DINO's teacher temperature); empty for none. */
    default Map<String, Number> scheduled(int epoch) {
        return Map.of();
    }

    /** What a checkpoint must hold to continue the method exactly, under the checkpoint's names; empty for a stateless one. */
    default Map<String, Tensor> state() {
        return Map.of();
    }

    /** Restores {@link #state()} from a checkpoint's tensors; an IllegalArgumentException names what is missing or mis-shaped. */
    default void loadState(Map<String, Tensor> checkpoint) {}

    /** Frees the device memory the method holds; it cannot be used afterwards. */
    default void release() {}
}
