package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.Schedule;
import dev.dinoj.tensor.Tensor;

/**
 * DINOv2's iBOT term (Zhou et al. 2022): at the patch positions masked in the student's global crops,
 * the cross-entropy between the teacher's patch distribution (of the unmasked crop) and the student's,
 * -sum_k q_k log softmax(s / student_temp)_k, averaged over each image's masked patches and then over all
 * global-crop images (masked or not, as the reference divides by the batch). The teacher's patch logits
 * are Sinkhorn-Knopp normalised over the masked patches of the batch, or centred by an EMA of their
 * mean and sharpened, at the DINO term's teacher temperature.
 */
public final class IbotPatchLoss implements PatchLoss {
    private final int outDim;
    private final float studentTemp, centerMomentum;
    private final Schedule teacherTemp;
    private final DinoLoss.Centering centering;
    private final RunningCenter center;

    public IbotPatchLoss(int outDim, float studentTemp, Schedule teacherTemp, float centerMomentum, DinoLoss.Centering centering) {
        if (outDim <= 0) throw new IllegalArgumentException("iBOT loss: out_dim must be positive, got " + outDim);
        if (!(studentTemp > 0)) throw new IllegalArgumentException("iBOT loss: student temperature must be positive, got " + studentTemp);
        this.outDim = outDim;
        this.studentTemp = studentTemp;
        this.teacherTemp = teacherTemp;
        this.centerMomentum = centerMomentum;
        this.centering = centering;
        this.center = new RunningCenter("iBOT loss", outDim);
    }

    /** The teacher's targets at the masked patches [M, K]: Sinkhorn-Knopp over the M patches, or centred softmax. */
    public Tensor targets(Tensor teacherMasked, int epoch) {
        float t = (float) teacherTemp.at(epoch);
        return centering == DinoLoss.Centering.SINKHORN_KNOPP ? DinoLoss.sinkhornKnopp(teacherMasked, t, DinoLoss.SINKHORN_ITERATIONS)
                : teacherMasked.sub(center.on(teacherMasked)).softmax(t);
    }

    /**
     * @param studentMasked [M, K] student logits at the masked patches of the global crops
     * @param targets [M, K] the teacher's {@link #targets} at the same patches
     * @param weights [M] 1 / (masked patches of the patch's image)
     * @param images the number of global-crop images the masks were drawn for
     */
    public Variable forward(Variable studentMasked, Tensor targets, Tensor weights, int images) {
        if (studentMasked.rank() != 2 || studentMasked.size(1) != outDim || !targets.shape().equals(studentMasked.shape())) {
            throw new IllegalArgumentException("iBOT loss: student and teacher patch logits must both be [M, " + outDim + "], got "
                    + studentMasked.shape() + " and " + targets.shape());
        }
        if (weights.rank() != 1 || weights.size(0) != studentMasked.size(0)) {
            throw new IllegalArgumentException("iBOT loss: weights must be [" + studentMasked.size(0) + "], got " + weights.shape());
        }
        Variable ce = studentMasked.logSoftmax(studentTemp).mul(Variable.constant(targets)).sum(1, false); // sum_k q log p: [M]
        return ce.mul(Variable.constant(weights)).sum().div(-(float) images);
    }

    /** The cross-entropy against the teacher's {@link #targets}: {@link #forward(Variable, Tensor, Tensor, int)} of them. */
    @Override
    public Variable forward(Variable studentMasked, Tensor teacherMasked, Tensor weights, int images, int epoch) {
        return forward(studentMasked, targets(teacherMasked, epoch), weights, images);
    }

    @Override
    public void afterStep(Tensor teacherMasked) {
        updateCenter(teacherMasked);
    }

    @Override
    public java.util.Map<String, Tensor> state() {
        return java.util.Map.of("center", center());
    }

    @Override
    public void loadState(java.util.Map<String, Tensor> state) {
        Tensor c = state.get("center");
        if (c == null) throw new IllegalArgumentException("no iBOT centre (center)");
        setCenter(c);
    }

    /** center = m * center + (1 - m) * the mean teacher logits over the masked patches (used by the centred targets). */
    public void updateCenter(Tensor teacherMasked) {
        if (teacherMasked.size(0) == 0) return;
        center.replace(center.on(teacherMasked).mul(centerMomentum).add(teacherMasked.mean(0, true).mul(1 - centerMomentum)));
    }

    public Tensor center() {
        return center.value();
    }

    public void setCenter(Tensor c) {
        center.set(c);
    }

    @Override
    public void release() {
        center.close();
    }
}
