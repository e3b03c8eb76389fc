package dev.dinoj.dino.train;

import dev.dinoj.autograd.Variable;
import dev.dinoj.dino.DinoLoss;
import dev.dinoj.dino.MomentumTeacher;
import dev.dinoj.nn.AdamW;
import dev.dinoj.nn.GradClip;
import dev.dinoj.nn.Linear;
import dev.dinoj.nn.Module;
import dev.dinoj.nn.ParamGroup;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On a device with fused kernels the training pieces take them: AdamW (one launch per group and step
 * count), per-parameter clipping and the momentum teacher the multi-tensor kernels, the DINO loss and
 * centre dino_loss.cu. They must match the CPU's composed ops, including a parameter that skipped a
 * step (frozen, as DINO's last layer).
 */
@Tag("gpu")
class GpuFusedPathsTest {
    /** Three steps of forward, backward, clipping and AdamW (the bias skips the first), then an EMA into a teacher. */
    private static Map<String, Variable> train(Device device) {
        Module student = new Linear(37, 300, true, new Generator(5)).to(device);
        Module teacher = new Linear(37, 300, true, new Generator(6)).to(device);
        MomentumTeacher ema = new MomentumTeacher(student, teacher);
        // one group: the bias, skipped in the first step, is a step behind the weight from then on
        AdamW opt = new AdamW(new ParamGroup(student.namedParameters(), 0.01, 0.04));
        Tensor x = Tensor.randn(new Generator(7), 16, 37).to(device);
        for (int step = 0; step < 3; step++) {
            Variable y = student.forward(Variable.constant(x));
            y.mul(y).mean().backward();
            GradClip.perParameter(student.parameters(), 0.05);
            if (step == 0) student.namedParameters().get("bias").zeroGrad();
            opt.step();
            opt.zeroGrad();
            ema.update(0.9);
        }
        return teacher.namedParameters();
    }

    @Test
    void adamwClippingAndEmaMatchTheCpu() {
        Device cuda = GpuTrainingTest.cudaOrSkip();
        assertThat(cuda.backend().multiTensor().getClass().getSimpleName()).isEqualTo("CudaMultiTensorOps");
        Map<String, Variable> cpu = train(Device.CPU), gpu = train(cuda);
        for (String name : cpu.keySet()) {
            float[] a = cpu.get(name).data().toFloatArray(), b = gpu.get(name).data().toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertThat(b[i]).as("%s[%d]", name, i).isCloseTo(a[i], org.assertj.core.data.Offset.offset(1e-5f + 1e-4f * Math.abs(a[i])));
            }
        }
    }

    @Test
    void fusedDinoLossGradientAndCentreMatchTheComposedCpuLoss() {
        Device cuda = GpuTrainingTest.cudaOrSkip();
        assertThat(dev.dinoj.dino.DinoLossKernels.of(cuda)).isInstanceOf(dev.dinoj.dino.cuda.CudaDinoLossKernels.class);
        int crops = 4, b = 3, k = 1000;
        Tensor student = Tensor.randn(new Generator(11), crops * b, k), teacher = Tensor.randn(new Generator(12), 2 * b, k);
        float[] loss = new float[2];
        Tensor[] grads = new Tensor[2], centres = new Tensor[2];
        Device[] devices = {Device.CPU, cuda};
        for (int d = 0; d < 2; d++) {
            DinoLoss l = new DinoLoss(k, crops, 0.1f, dev.dinoj.nn.Schedule.constant(0.04, 1), 0.9f);
            l.updateCenter(teacher.to(devices[d])); // a non-zero centre for the loss
            Variable s = Variable.leaf(student.to(devices[d]));
            Variable value = l.forward(s, teacher.to(devices[d]), 0);
            value.backward();
            loss[d] = value.item();
            grads[d] = s.grad().to(Device.CPU);
            l.updateCenter(teacher.mul(2f).to(devices[d]));
            centres[d] = l.center().to(Device.CPU);
        }
        assertThat(loss[1]).isCloseTo(loss[0], org.assertj.core.data.Offset.offset(1e-4f * Math.abs(loss[0])));
        float[] g0 = grads[0].toFloatArray(), g1 = grads[1].toFloatArray(), c0 = centres[0].toFloatArray(), c1 = centres[1].toFloatArray();
        for (int i = 0; i < g0.length; i++) assertThat(g1[i]).as("gradient %d", i).isCloseTo(g0[i], org.assertj.core.data.Offset.offset(1e-6f + 1e-4f * Math.abs(g0[i])));
        for (int i = 0; i < c0.length; i++) assertThat(c1[i]).as("centre %d", i).isCloseTo(c0[i], org.assertj.core.data.Offset.offset(1e-6f));
    }
}
