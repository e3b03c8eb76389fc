package dev.dinoj.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DeviceSelfCheckTest {
    /** The CPU's own operations, with one of them replaced. */
    private static DeviceSelfCheck.Ops cpuExcept(String which, java.util.function.UnaryOperator<Tensor> corrupt) {
        DeviceSelfCheck.Ops cpu = DeviceSelfCheck.on(Device.CPU);
        return new DeviceSelfCheck.Ops() {
            @Override
            public Tensor matmul(Tensor a, Tensor b) {
                Tensor r = cpu.matmul(a, b);
                return which.equals("matmul") ? corrupt.apply(r) : r;
            }

            @Override
            public Tensor softmax(Tensor x) {
                Tensor r = cpu.softmax(x);
                return which.equals("softmax") ? corrupt.apply(r) : r;
            }

            @Override
            public Tensor attention(Tensor q, Tensor k, Tensor v, float scale) {
                Tensor r = cpu.attention(q, k, v, scale);
                return which.equals("attention") ? corrupt.apply(r) : r;
            }
        };
    }

    private static Tensor oneElementOff(Tensor t, float by) {
        float[] v = t.toFloatArray();
        v[v.length / 2] += by;
        return Tensor.fromArray(v, t.dims());
    }

    @Test
    void theCpuAgreesWithItself() {
        assertThat(DeviceSelfCheck.check(DeviceSelfCheck.on(Device.CPU))).isNull();
        assertThat(DeviceSelfCheck.run(Device.CPU)).isNull();
        // TF32-sized errors in a GEMM pass
        assertThat(DeviceSelfCheck.check(cpuExcept("matmul", t -> t.mul(1 + 1e-4f)))).isNull();
    }

    @Test
    void aWrongResultIsNamed() {
        assertThat(DeviceSelfCheck.check(cpuExcept("matmul", t -> oneElementOff(t, 0.5f)))).startsWith("matmul").contains("element");
        assertThat(DeviceSelfCheck.check(cpuExcept("matmul", t -> t.transpose(0, 1).contiguous()))).startsWith("matmul").contains("shape");
        assertThat(DeviceSelfCheck.check(cpuExcept("softmax", t -> t.mul(1.01f)))).startsWith("softmax");
        assertThat(DeviceSelfCheck.check(cpuExcept("attention", t -> t.mul(Float.NaN)))).startsWith("attention").contains("NaN");
        assertThat(DeviceSelfCheck.check(cpuExcept("softmax", t -> {
            throw new IllegalStateException("launch failed");
        }))).contains("launch failed");
    }
}
