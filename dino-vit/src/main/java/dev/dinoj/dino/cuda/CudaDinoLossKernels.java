package dev.dinoj.dino.cuda;

import dev.dinoj.cuda.CudaKernels;
import dev.dinoj.dino.DinoLossKernels;
import dev.dinoj.dino.ReferenceDinoLossKernels;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Tensor;

/**
 * {@link DinoLossKernels} on the kernels of dino_loss.cu: the centred loss and its gradient read the
 * logits once (instead of a chain of softmax, log-softmax, product and sum), the centre update is one
 * launch. The kernels take contiguous logits; anything else, and given targets, is the reference's.
 */
public final class CudaDinoLossKernels implements DinoLossKernels {
    /** Registered in META-INF/services. */
    public static final class Provider implements DinoLossKernels.Provider {
        @Override
        public Device.Kind kind() {
            return Device.Kind.CUDA;
        }

        @Override
        public DinoLossKernels open(Device device) {
            return new CudaDinoLossKernels(CudaKernels.of(device));
        }
    }

    private final CudaKernels kernels;

    CudaDinoLossKernels(CudaKernels kernels) {
        this.kernels = kernels;
    }

    @Override
    public Result centred(Args a) {
        if (!a.student().isContiguous() || !a.teacher().isContiguous() || !a.center().isContiguous()) {
            return ReferenceDinoLossKernels.INSTANCE.centred(a);
        }
        CudaKernels.DinoLossResult r = kernels.dinoLoss(a.student(), a.teacher(), a.center(), a.crops(), a.studentTemp(), a.teacherTemp());
        return new Result(r.loss(), r.gradStudent());
    }

    @Override
    public Result withTargets(Tensor student, Tensor targets, int crops, float studentTemp) {
        return ReferenceDinoLossKernels.INSTANCE.withTargets(student, targets, crops, studentTemp);
    }

    @Override
    public void updateCenter(Tensor teacher, Tensor center, float momentum) {
        if (!teacher.isContiguous() || !center.isContiguous()) {
            ReferenceDinoLossKernels.INSTANCE.updateCenter(teacher, center, momentum);
            return;
        }
        kernels.updateCenter(teacher, center, momentum);
    }
}
