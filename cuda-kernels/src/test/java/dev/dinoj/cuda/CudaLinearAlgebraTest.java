package dev.dinoj.cuda;

import static dev.dinoj.cuda.Gpu.assertClose;
import static dev.dinoj.cuda.Gpu.randn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** cuSOLVER's Cholesky and cuBLAS's triangular solves against the CPU backend, batched and at the coding rate's sizes. */
@Tag("gpu")
class CudaLinearAlgebraTest {
    /** I + c Z^T Z for random [batch, b, n] Z: [batch, n, n]. */
    private static Tensor codingRateMatrices(long seed, int batch, int b, int n) {
        Tensor z = randn(seed, batch, b, n);
        return Tensor.eye(n, Device.CPU).add(z.transpose(1, 2).matmul(z).mul((float) n / (b * 0.5f * n)));
    }

    @Test
    void choleskyMatchesTheCpuAndZeroesTheUpperTriangle() {
        Device d = Gpu.device();
        for (int[] s : new int[][] {{1, 3, 1}, {3, 5, 7}, {2, 32, 256}, {1, 64, 512}}) {
            Tensor a = codingRateMatrices(s[1] * 31L + s[2], s[0], s[1], s[2]);
            Tensor gpu = a.to(d).cholesky(), cpu = a.cholesky();
            assertClose(gpu, cpu, 1e-4);
            float[] l = gpu.toFloatArray();
            int n = s[2];
            for (int b = 0; b < s[0]; b++) for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) assertThat(l[b * n * n + i * n + j]).isZero();
            assertThat((double) a.to(d).logdetSpd().sum().item()).isCloseTo(a.logdetSpd().sum().item(), org.assertj.core.data.Offset.offset(1e-3));
        }
    }

    @Test
    void aMatrixThatIsNotPositiveDefiniteIsNamedAsOnTheCpu() {
        Device d = Gpu.device();
        Tensor bad = Tensor.stack(0, Tensor.eye(3, Device.CPU), Tensor.fromArray(new float[] {1, 2, 0, 2, 1, 0, 0, 0, 1}, 3, 3));
        assertThatThrownBy(() -> bad.to(d).cholesky()).hasMessageContaining("matrix 1 of the batch").hasMessageContaining("order 2");
    }

    @Test
    void triangularSolvesMatchTheCpu() {
        Device d = Gpu.device();
        Tensor l = codingRateMatrices(7, 2, 40, 33).cholesky();
        Tensor b = randn(8, 2, 33, 19);
        for (boolean transpose : new boolean[] {false, true}) {
            assertClose(l.to(d).solveTriangular(b.to(d), transpose), l.solveTriangular(b, transpose), 1e-4);
        }
        // a strided right-hand side
        Tensor bt = randn(9, 2, 19, 33).transpose(1, 2);
        assertClose(l.to(d).solveTriangular(bt.to(d), false), l.solveTriangular(bt, false), 1e-4);
    }
}
