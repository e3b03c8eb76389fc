package dev.dinoj.tensor;

import java.util.List;

/**
 * Updates over whole lists of tensors (every parameter of a model): on CUDA one launch per list instead
 * of one small launch per tensor. Every backend has them ({@link Backend#multiTensor()}):
 * {@link ReferenceMultiTensorOps}, a loop of per-tensor ops, is the CPU's and the fallback where a
 * device's kernels do not apply (they check their own preconditions, such as contiguity). The lists are
 * parallel (same length, same shapes), float32, on the backend's device.
 */
public interface MultiTensorOps {
    /** The multi-tensor ops of the tensors' device (the reference for an empty list); refuses tensors on several devices. */
    static MultiTensorOps of(Iterable<Tensor> tensors) {
        Device device = null;
        for (Tensor t : tensors) {
            if (device != null && !device.equals(t.device())) {
                throw new IllegalArgumentException("multi-tensor update: tensors on " + device + " and " + t.device());
            }
            device = t.device();
        }
        return device == null ? ReferenceMultiTensorOps.INSTANCE : device.backend().multiTensor();
    }

    /** teacher_i = m * teacher_i + (1 - m) * student_i for every pair (the momentum teacher's EMA). */
    void ema(List<Tensor> teacher, List<Tensor> student, double momentum);

    /**
     * Scales each gradient whose L2 norm exceeds {@code maxNorm} by maxNorm / (norm + 1e-6) (the
     * reference DINO's per-parameter clipping); returns the norms before clipping.
     */
    float[] clipPerTensor(List<Tensor> grads, float maxNorm);

    /** One step of torch.optim.AdamW, in place, over parameters sharing one step count and hyper-parameters. */
    void adamw(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvg, List<Tensor> expAvgSq, float lr, float beta1,
               float beta2, float eps, float weightDecay, int step);
}
