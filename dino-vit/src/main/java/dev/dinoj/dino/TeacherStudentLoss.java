package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

import java.util.Map;

/**
 * The objective of a method that trains a student against a momentum teacher on multi-crop views
 * (DINO, SimDINO): the loss of the student's outputs of every crop against the teacher's outputs of
 * the global crops, and what the objective keeps between steps (DINO's centre).
 */
public interface TeacherStudentLoss {
    /**
     * @param student [crops * B, D] student outputs (crop-major)
     * @param teacher [2 * B, D] teacher outputs of the two global crops (no gradient)
     */
    Variable forward(Variable student, Tensor teacher, int epoch);

    /** The named terms of the last {@link #forward} worth logging beside the loss (SimDINO's two terms); empty for none. */
    Map<String, Double> terms();

    /** DINO's teacher health of this step (call before {@link #afterStep}); null where the method has no softmax targets. */
    TeacherHealth health(Tensor teacher, int epoch, double lossValue);

    /** Updates what the objective keeps after the optimizer step (DINO's centre); nothing for a stateless one. */
    void afterStep(Tensor teacher);

    /** What a checkpoint must hold to continue the objective exactly (name -> tensor). */
    Map<String, Tensor> state();

    /** Restores {@link #state()}; an IllegalArgumentException names what is missing or mis-shaped. */
    void loadState(Map<String, Tensor> state);

    /** Frees the device memory the objective holds; it cannot be used afterwards. */
    void release();
}
