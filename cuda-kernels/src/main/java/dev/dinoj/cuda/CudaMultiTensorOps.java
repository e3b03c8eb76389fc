package dev.dinoj.cuda;

import dev.dinoj.tensor.MultiTensorOps;
import dev.dinoj.tensor.ReferenceMultiTensorOps;
import dev.dinoj.tensor.Tensor;

import java.util.List;

/**
 * {@link MultiTensorOps} over the multi-tensor kernels of multi_tensor.cu, for the optimizer, the
 * clipping and the momentum teacher, which know no CUDA classes. Each call builds its pointer tables
 * (one small upload per list) and frees them stream-ordered afterwards: gradients are new tensors every
 * step, so their tables could not be kept anyway. The kernels walk contiguous tensors: lists with a
 * strided view go to the reference.
 */
final class CudaMultiTensorOps implements MultiTensorOps {
    private final CudaKernels kernels;

    CudaMultiTensorOps(CudaKernels kernels) {
        this.kernels = kernels;
    }

    private static void sameLength(String op, List<Tensor> a, List<Tensor> b) {
        ReferenceMultiTensorOps.sameLength(op, a, b);
    }

    @SafeVarargs
    private static boolean contiguous(List<Tensor>... lists) {
        for (List<Tensor> l : lists) {
            for (Tensor t : l) {
                if (!t.isContiguous()) return false;
            }
        }
        return true;
    }

    @Override
    public void ema(List<Tensor> teacher, List<Tensor> student, double momentum) {
        sameLength("ema", teacher, student);
        if (teacher.isEmpty()) return;
        if (!contiguous(teacher, student)) {
            ReferenceMultiTensorOps.INSTANCE.ema(teacher, student, momentum);
            return;
        }
        try (MultiTensorTable t = kernels.table(teacher); MultiTensorTable s = kernels.table(student)) {
            kernels.ema(t, s, (float) momentum);
        }
    }

    @Override
    public float[] clipPerTensor(List<Tensor> grads, float maxNorm) {
        if (grads.isEmpty()) return new float[0];
        if (!contiguous(grads)) return ReferenceMultiTensorOps.INSTANCE.clipPerTensor(grads, maxNorm);
        try (MultiTensorTable g = kernels.table(grads); Tensor norms = kernels.clipPerTensor(g, maxNorm)) {
            return norms.toFloatArray();
        }
    }

    @Override
    public void adamw(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvg, List<Tensor> expAvgSq, float lr, float beta1,
                      float beta2, float eps, float weightDecay, int step) {
        sameLength("adamw", params, grads);
        sameLength("adamw", params, expAvg);
        sameLength("adamw", params, expAvgSq);
        if (params.isEmpty()) return;
        if (!contiguous(params, grads, expAvg, expAvgSq)) {
            ReferenceMultiTensorOps.INSTANCE.adamw(params, grads, expAvg, expAvgSq, lr, beta1, beta2, eps, weightDecay, step);
            return;
        }
        try (MultiTensorTable p = kernels.table(params); MultiTensorTable g = kernels.table(grads);
             MultiTensorTable m = kernels.table(expAvg); MultiTensorTable v = kernels.table(expAvgSq)) {
            kernels.adamw(p, g, m, v, lr, beta1, beta2, eps, weightDecay, step);
        }
    }
}
