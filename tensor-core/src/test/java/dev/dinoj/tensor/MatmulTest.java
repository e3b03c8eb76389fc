package dev.dinoj.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.dinoj.tensor.Reference.assertClose;
import static dev.dinoj.tensor.Reference.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MatmulTest {
    private final Random r = new Random(41);

    @Test
    void matmul2dMatchesNaiveReferenceForOddSizes() {
        int[][] sizes = {{1, 1, 1}, {7, 3, 5}, {33, 197, 17}, {65, 64, 65}, {130, 300, 70}, {197, 33, 1}};
        for (int[] s : sizes) {
            Tensor a = Reference.random(r, s[0], s[1]), b = Reference.random(r, s[1], s[2]);
            assertClose(a.matmul(b), Reference.matmul(values(a), values(b), s[0], s[1], s[2]), 1e-5);
        }
    }

    @Test
    void matmulWithBiasGivesTheBitsOfMatmulThenAdd() {
        // k beyond one GEMM k-block (256) too: the bias must still come after every product
        int[][] sizes = {{1, 1, 1}, {7, 3, 5}, {33, 197, 17}, {130, 300, 70}, {20, 600, 96}, {5, 0, 3}};
        for (int[] s : sizes) {
            Tensor a = Reference.random(r, s[0], s[1]), w = Reference.random(r, s[2], s[1]), bias = Reference.random(r, s[2]);
            Tensor fused = a.matmul(w.t(), bias), separate = a.matmul(w.t()).add(bias);
            assertThat(values(fused)).as("%dx%dx%d", s[0], s[1], s[2]).containsExactly(values(separate));
        }
        Tensor a = Reference.random(r, 4, 3);
        assertThatThrownBy(() -> a.matmul(Reference.random(r, 3, 5), Reference.random(r, 4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bias [4]");
        assertThatThrownBy(() -> a.matmul(Reference.random(r, 2, 3, 5), Reference.random(r, 5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2-D");
    }

    @Test
    void transposedOperandsAreReadWithoutCopies() {
        Tensor at = Reference.random(r, 37, 29), bt = Reference.random(r, 41, 37);
        Tensor a = at.t(), b = bt.t(); // [29, 37] and [37, 41], both strided
        assertThat(a.isContiguous()).isFalse();
        double[] ref = Reference.matmul(values(a), values(b), 29, 37, 41);
        assertClose(a.matmul(b), ref, 1e-5);
        assertClose(a.contiguous().matmul(b), ref, 1e-5);
        assertClose(a.matmul(b.contiguous()), ref, 1e-5);
    }

    @Test
    void batchedMatmulBroadcastsLeadingDimensions() {
        Tensor a = Reference.random(r, 2, 3, 7, 5);  // [2, 3, M, K]
        Tensor b = Reference.random(r, 3, 5, 4);     // [3, K, N] broadcast over the first dim
        Tensor c = a.matmul(b);
        assertThat(c.dims()).containsExactly(2, 3, 7, 4);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                Tensor ai = a.select(0, i).select(0, j), bj = b.select(0, j);
                assertClose(c.select(0, i).select(0, j), Reference.matmul(values(ai), values(bj), 7, 5, 4), 1e-5);
            }
        }
        // attention-shaped: q @ k^T over 96 heads, k transposed as a view
        Tensor q = Reference.random(r, 96, 65, 64), k = Reference.random(r, 96, 65, 64);
        Tensor s = q.matmul(k.transpose(1, 2));
        for (int h : new int[] {0, 47, 95}) {
            assertClose(s.select(0, h), Reference.matmul(values(q.select(0, h)), values(k.select(0, h).t()), 65, 64, 65), 1e-5);
        }
    }

    @Test
    void vectorOperandsFollowNumPy() {
        Tensor v = Tensor.fromArray(new float[] {1, 2, 3}, 3);
        Tensor m = Tensor.arange(6).view(3, 2);
        assertThat(v.matmul(v).rank()).isZero();
        assertThat(v.matmul(v).item()).isEqualTo(14f);
        assertThat(v.matmul(m).toFloatArray()).containsExactly(16, 22);
        assertThat(m.t().matmul(v).toFloatArray()).containsExactly(16, 22);
    }

    @Test
    void misalignedShapesNameBoth() {
        assertThatThrownBy(() -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("matmul").hasMessageContaining("[2, 3]").hasMessageContaining("[4, 5]").hasMessageContaining("3 != 4");
        assertThatThrownBy(() -> Tensor.zeros(2, 2, 3).matmul(Tensor.zeros(3, 3, 1)))
                .hasMessageContaining("cannot be broadcast");
    }
}
