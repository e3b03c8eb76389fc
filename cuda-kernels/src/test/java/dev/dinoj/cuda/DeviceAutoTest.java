package dev.dinoj.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.DeviceSelfCheck;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** --device auto: the GPU is picked only after its start-up self-check (matmul, softmax, fused attention) passes. */
@Tag("gpu")
class DeviceAutoTest {
    @Test
    void aWorkingGpuPassesItsSelfCheckAndIsPicked() {
        Device d = Gpu.device();
        assertThat(d.backend().attention()).as("the check runs the fused attention kernels").isInstanceOf(CudaAttention.class);
        assertThat(DeviceSelfCheck.run(d)).isNull();
        assertThat(Device.best()).isEqualTo(d);
        assertThat(Device.parse("auto")).isEqualTo(d);
    }
}
