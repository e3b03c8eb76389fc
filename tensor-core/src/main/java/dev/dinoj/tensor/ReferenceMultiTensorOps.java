package dev.dinoj.tensor;

import java.util.List;

/**
 * {@link MultiTensorOps} as a loop of per-tensor ops (any strides, any device): the CPU's, whose loops
 * cost no launches, the fallback of devices whose kernels need contiguous tensors, and the reference
 * their kernels are tested against.
 */
public final class ReferenceMultiTensorOps implements MultiTensorOps {
    public static final ReferenceMultiTensorOps INSTANCE = new ReferenceMultiTensorOps();

    private ReferenceMultiTensorOps() {}

    /** Refuses parallel lists of different lengths, naming the op. */
    public static void sameLength(String op, List<Tensor> a, List<Tensor> b) {
        if (a.size() != b.size()) throw new IllegalArgumentException(op + ": lists of " + a.size() + " and " + b.size() + " tensors");
    }

    @Override
    public void ema(List<Tensor> teacher, List<Tensor> student, double momentum) {
        sameLength("ema", teacher, student);
        float w = (float) (1 - momentum); // in double, then rounded once
        for (int i = 0; i < teacher.size(); i++) teacher.get(i).lerpInPlace(student.get(i), w);
    }

    @Override
    public float[] clipPerTensor(List<Tensor> grads, float maxNorm) {
        float[] norms = new float[grads.size()];
        for (int i = 0; i < norms.length; i++) {
            Tensor g = grads.get(i);
            double n = g.norm().item();
            norms[i] = (float) n;
            double coef = maxNorm / (n + 1e-6);
            if (coef < 1) g.mulInPlace((float) coef);
        }
        return norms;
    }

    @Override
    public void adamw(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvg, List<Tensor> expAvgSq, float lr, float beta1,
                      float beta2, float eps, float weightDecay, int step) {
        sameLength("adamw", params, grads);
        sameLength("adamw", params, expAvg);
        sameLength("adamw", params, expAvgSq);
        for (int i = 0; i < params.size(); i++) {
            params.get(i).adamwInPlace(grads.get(i).contiguous(), expAvg.get(i), expAvgSq.get(i), lr, beta1, beta2, eps, weightDecay, step);
        }
    }
}
