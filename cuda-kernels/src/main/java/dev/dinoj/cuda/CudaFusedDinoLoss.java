package dev.dinoj.cuda;

import dev.dinoj.tensor.FusedDinoLoss;
import dev.dinoj.tensor.Tensor;

/** {@link FusedDinoLoss} over the kernels of dino_loss.cu, for the DINO loss, which knows no CUDA classes. */
final class CudaFusedDinoLoss implements FusedDinoLoss {
    private final CudaKernels kernels;

    CudaFusedDinoLoss(CudaKernels kernels) {
        this.kernels = kernels;
    }

    @Override
    public Tensor[] lossAndGradient(Tensor student, Tensor teacher, Tensor center, int crops, float studentTemp, float teacherTemp) {
        CudaKernels.DinoLossResult r = kernels.dinoLoss(student, teacher, center, crops, studentTemp, teacherTemp);
        return new Tensor[] {r.loss, r.gradStudent};
    }

    @Override
    public void updateCenter(Tensor teacher, Tensor center, float momentum) {
        kernels.updateCenter(teacher, center, momentum);
    }
}
