package dev.dinoj.tensor;

/**
 * A backend's fused DINO cross-entropy and centre update, offered through {@link Backend#dinoLoss()}
 * where the device has them (the loss then reads the logits once instead of through a chain of
 * softmax, log-softmax, product and sum ops). All tensors are contiguous float32 on the backend's device.
 */
public interface FusedDinoLoss {
    /**
     * For student logits [crops * B, K] (crop-major, the 2 global crops first), teacher logits
     * [2 * B, K] and the centre (K elements): {loss [1], its gradient with respect to the student
     * logits}, the loss being the mean over pairs (teacher view a, student view v != a) of the
     * batch-mean cross-entropy between softmax((teacher - centre) / teacherTemp) and
     * log_softmax(student / studentTemp).
     */
    Tensor[] lossAndGradient(Tensor student, Tensor teacher, Tensor center, int crops, float studentTemp, float teacherTemp);

    /** centre = momentum * centre + (1 - momentum) * (mean of the teacher's rows), in place. */
    void updateCenter(Tensor teacher, Tensor center, float momentum);
}
