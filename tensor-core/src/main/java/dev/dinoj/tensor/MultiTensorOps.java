package dev.dinoj.tensor;

import java.util.List;

/**
 * A backend's multi-tensor kernels: one launch over a whole list of tensors (every parameter of a
 * model) instead of one small launch per tensor, offered through {@link Backend#multiTensor()} where
 * the device has them. The CPU has none: its per-tensor loops cost no launches. All tensors are
 * contiguous float32 on the backend's device; the lists are parallel (same length, same sizes).
 */
public interface MultiTensorOps {
    /**
     * The multi-tensor kernels of the tensors' device when they are all contiguous on one device that
     * has them; null otherwise (then use per-tensor ops).
     */
    static MultiTensorOps of(Iterable<Tensor> tensors) {
        Device device = null;
        for (Tensor t : tensors) {
            if (!t.isContiguous() || (device != null && !device.equals(t.device()))) return null;
            device = t.device();
        }
        return device == null ? null : device.backend().multiTensor();
    }

    /** teacher_i = m * teacher_i + (1 - m) * student_i for every pair (the momentum teacher's EMA). */
    void ema(List<Tensor> teacher, List<Tensor> student, float momentum);

    /**
     * Scales each gradient whose L2 norm exceeds {@code maxNorm} by maxNorm / (norm + 1e-6) (the
     * reference DINO's per-parameter clipping); returns the norms before clipping.
     */
    float[] clipPerTensor(List<Tensor> grads, float maxNorm);

    /** One step of torch.optim.AdamW, in place, over parameters sharing one step count and hyper-parameters. */
    void adamw(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvg, List<Tensor> expAvgSq, float lr, float beta1,
               float beta2, float eps, float weightDecay, int step);
}
