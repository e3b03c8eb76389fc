package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

/**
 * SimDINOv2's patch term (Wu et al. 2025): at the patches masked in the student's global crops, the
 * student's L2-normalised patch features are pulled towards the teacher's (of the unmasked crop) by
 * squared Euclidean distance, 1/2 ||z_s - z_t||^2 (= 1 - cos for unit vectors), weighted as the iBOT term:
 * averaged over each image's masked patches, then over all global-crop images. It replaces iBOT's
 * cross-entropy over prototypes; no centering, sharpening or temperature.
 */
public final class PatchAlignmentLoss implements PatchLoss {
    @Override
    public Variable forward(Variable student, Tensor teacher, Tensor weights, int images, int epoch) {
        return of(student, teacher, weights, images);
    }

    @Override
    public void afterStep(Tensor teacher) {}

    @Override
    public java.util.Map<String, Tensor> state() {
        return java.util.Map.of();
    }

    @Override
    public void loadState(java.util.Map<String, Tensor> state) {}

    @Override
    public void release() {}

    /**
     * @param student [M, D] normalised student patch features at the masked patches
     * @param teacher [M, D] the teacher's at the same patches
     * @param weights [M] 1 / (masked patches of the patch's image)
     * @param images the number of global-crop images the masks were drawn for
     */
    public static Variable of(Variable student, Tensor teacher, Tensor weights, int images) {
        if (student.rank() != 2 || !teacher.shape().equals(student.shape())) {
            throw new IllegalArgumentException("patch alignment: student and teacher patch features must both be [M, D], got " + student.shape()
                    + " and " + teacher.shape());
        }
        if (weights.rank() != 1 || weights.size(0) != student.size(0)) {
            throw new IllegalArgumentException("patch alignment: weights must be [" + student.size(0) + "], got " + weights.shape());
        }
        Variable distance = student.sub(Variable.constant(teacher)).square().sum(1, false).mul(0.5f);
        return distance.mul(Variable.constant(weights)).sum().div((float) images);
    }
}
