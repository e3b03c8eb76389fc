package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

import java.util.Map;

/**
 * The masked-patch term of a method that masks the student's global crops (DINOv2's iBOT cross-entropy,
 * SimDINOv2's alignment): the student's outputs at the masked patches against the teacher's outputs of
 * the unmasked crops at the same patches, and what the term keeps between steps.
 */
public interface PatchLoss {
    /**
     * @param student [M, K] student outputs at the masked patches of the global crops
     * @param teacher [M, K] the teacher's at the same patches (no gradient)
     * @param weights [M] 1 / (masked patches of the patch's image)
     * @param images the number of global-crop images the masks were drawn for
     */
    Variable forward(Variable student, Tensor teacher, Tensor weights, int images, int epoch);

    /** Updates what the term keeps after the optimizer step (iBOT's centre); nothing for a stateless one. */
    void afterStep(Tensor teacher);

    /** What a checkpoint must hold to continue the term exactly (name -> tensor). */
    Map<String, Tensor> state();

    /** Restores {@link #state()}; an IllegalArgumentException names what is missing. */
    void loadState(Map<String, Tensor> state);

    /** Frees the device memory the term holds; it cannot be used afterwards. */
    void release();
}
