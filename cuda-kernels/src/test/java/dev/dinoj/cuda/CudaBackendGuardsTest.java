package dev.dinoj.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;

/**
 * The CUDA backend's host-side logic, without a GPU: a backend over no context at all, so anything
 * that reached the device would throw a NullPointerException (or a ClassCastException on the CPU
 * tensors used as stand-ins) instead of the answer checked here.
 */
class CudaBackendGuardsTest {
    private static CudaBackend withoutDevice() {
        return new CudaBackend(Device.CPU, null);
    }

    @Test
    void aDeviceAddressReachesCublasAsThatAddress() {
        for (long address : new long[] {0x7f00_1234_5600L, 0x2_0000_0000L, 512}) {
            FloatPointer p = CudaBackend.device(address);
            assertThat(p.address()).isEqualTo(address);
            assertThat(p.position()).isZero();
        }
    }

    @Test
    void matmulWithAnEmptyOutputDoesNothing() {
        CudaBackend b = withoutDevice();
        int[][][] cases = {
            {{0, 5}, {5, 3}, {0, 3}},           // m = 0
            {{4, 5}, {5, 0}, {4, 0}},           // n = 0
            {{0, 0}, {0, 3}, {0, 3}},           // m = 0 and k = 0
            {{0, 4, 5}, {0, 5, 3}, {0, 4, 3}},  // empty batch
        };
        for (int[][] c : cases) {
            Tensor out = Tensor.zeros(c[2]);
            b.matmul(Tensor.zeros(c[0]), Tensor.zeros(c[1]), out);
            assertThat(out.shape()).isEqualTo(Shape.of(c[2]));
        }
    }

    @Test
    void indexingRefusesMoreThanEightDimensionsBeforeTouchingTheDevice() {
        CudaBackend b = withoutDevice();
        int[] nine = {1, 1, 1, 1, 1, 1, 1, 1, 2};
        Tensor x = Tensor.zeros(nine), out = Tensor.zeros(nine);
        assertThatThrownBy(() -> b.indexSelect(x, 8, Tensor.fromIndices(new int[] {1, 0}, 2), out))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("indexSelect").hasMessageContaining("at most 8");
        Tensor index = Tensor.fromIndices(new int[] {0, 1}, nine);
        assertThatThrownBy(() -> b.gather(x, 8, index, out))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gather").hasMessageContaining("at most 8");
    }
}
