package dev.dinoj.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.DeviceUnavailableException;
import org.junit.jupiter.api.Test;

/** Runs where there is no usable GPU (CI): asking for CUDA fails with one exception that says why. */
class CudaAvailabilityTest {
    private static boolean cudaWorks() {
        try {
            Device.cuda(0);
            return true;
        } catch (DeviceUnavailableException e) {
            return false;
        }
    }

    @Test
    void withoutAGpuCudaFailsWithTheReasonAndBestFallsBackToTheCpu() {
        assumeFalse(cudaWorks(), "a GPU is present: this test checks the machine without one");
        assertThatThrownBy(() -> Device.cuda(0))
                .isInstanceOf(DeviceUnavailableException.class)
                .hasMessageContaining("CUDA");
        assertThat(Device.best()).isEqualTo(Device.CPU);
    }

    @Test
    void theFatbinTravelsInTheJarWhenNvccWasAvailable() {
        boolean nvcc = System.getenv("PATH") != null && java.util.Arrays.stream(System.getenv("PATH").split(java.io.File.pathSeparator))
                .anyMatch(p -> new java.io.File(p, "nvcc").canExecute());
        assumeFalse(!nvcc, "nvcc is not on PATH, so the build skipped the kernels");
        assertThat(CudaContext.class.getResource(CudaContext.FATBIN)).as("fatbin resource").isNotNull();
    }

    @Test
    void allocatorRoundsSizesIntoReusableClasses() {
        assertThat(DeviceAllocator.round(1)).isEqualTo(512);
        assertThat(DeviceAllocator.round(512)).isEqualTo(512);
        assertThat(DeviceAllocator.round(513)).isEqualTo(1024);
        assertThat(DeviceAllocator.round((1 << 20) + 1)).isEqualTo(2L << 20);
        assertThat(DeviceAllocator.round(5L << 20)).isEqualTo(6L << 20);
    }

    @Test
    void layoutsMergeDimensionsEveryOperandCanWalkAsOne() {
        StridedLayout contiguous = StridedLayout.of(new int[] {2, 3, 4}, new int[] {12, 4, 1}, new int[] {12, 4, 1});
        assertThat(contiguous.sizes).containsExactly(24);
        StridedLayout broadcast = StridedLayout.of(new int[] {2, 3, 4}, new int[] {12, 4, 1}, new int[] {0, 1, 0});
        assertThat(broadcast.sizes).containsExactly(2, 3, 4);
        StridedLayout ones = StridedLayout.of(new int[] {1, 5, 1}, new int[] {5, 1, 1});
        assertThat(ones.sizes).containsExactly(5);
        assertThat(ones.strides[0]).containsExactly(1);
        StridedLayout transposed = StridedLayout.of(new int[] {3, 4}, new int[] {1, 3});
        assertThat(transposed.sizes).containsExactly(3, 4);
    }
}
