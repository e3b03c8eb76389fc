package dev.dinoj.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.cuda.global.cudnn.CUDNN_FMA_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_NOT_SUPPORTED;
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_OP_MATH;

import dev.dinoj.cuda.CudnnConvolution.Candidate;
import dev.dinoj.cuda.CudnnConvolution.Geometry;
import dev.dinoj.tensor.Convolution;
import dev.dinoj.tensor.Tensor;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What the cuDNN ops decide on the host, without a GPU (the cudnn constants used are compile-time
 * constants, so no native library loads): which geometries go to cuDNN, what keys the plan cache,
 * which of cuDNN's ranked algorithms is taken.
 */
class CudnnHostLogicTest {
    private static final long MIB = 1 << 20;

    private static Candidate ok(int algo, long memory, boolean deterministic) {
        return new Candidate(algo, CUDNN_STATUS_SUCCESS, memory, deterministic, CUDNN_FMA_MATH);
    }

    @Test
    void theFastestDeterministicAlgorithmWithinTheWorkspaceLimitIsTaken() {
        List<Candidate> ranked = List.of(
                new Candidate(0, CUDNN_STATUS_NOT_SUPPORTED, 0, true, CUDNN_FMA_MATH), // fastest, but failed
                ok(1, 0, false),                                                       // non-deterministic
                ok(2, 512 * MIB, true),                                                // over the limit
                ok(3, 8 * MIB, true),
                ok(4, 0, true));
        assertThat(CudnnConvolution.choose(ranked, 256 * MIB, false).algo()).isEqualTo(3);
    }

    @Test
    void withoutADeterministicOneTheFastestThatFitsIsTakenAndNoneWhenNothingFits() {
        assertThat(CudnnConvolution.choose(List.of(ok(5, 300 * MIB, false), ok(6, MIB, false), ok(7, 0, false)), 256 * MIB, false).algo())
                .isEqualTo(6);
        assertThat(CudnnConvolution.choose(List.of(ok(5, 300 * MIB, true),
                new Candidate(1, CUDNN_STATUS_NOT_SUPPORTED, 0, true, CUDNN_FMA_MATH)), 256 * MIB, false)).isNull();
        assertThat(CudnnConvolution.choose(List.of(), 256 * MIB, false)).isNull();
    }

    @Test
    void tensorCoreAlgorithmsAreTakenOnlyWhenTf32IsOn() {
        List<Candidate> ranked = List.of(new Candidate(1, CUDNN_STATUS_SUCCESS, 0, true, CUDNN_TENSOR_OP_MATH), ok(2, 0, true));
        assertThat(CudnnConvolution.choose(ranked, 0, false).algo()).isEqualTo(2);
        assertThat(CudnnConvolution.choose(ranked, 0, true).algo()).isEqualTo(1);
    }

    @Test
    void everyGeometricParameterKeysItsOwnPlanButTheInputsStridesDoNot() {
        // b, h, w, in, out, k, stride, padding, dilation, groups: the base, then each one changed
        int[] base = {2, 9, 9, 4, 8, 3, 1, 1, 1, 2};
        int[][] changed = {{3}, {0, 10}, {0, 0, 10}, {0, 0, 0, 6}, {0, 0, 0, 0, 6}, {0, 0, 0, 0, 0, 5}, {0, 0, 0, 0, 0, 0, 2},
                           {0, 0, 0, 0, 0, 0, 0, 2}, {0, 0, 0, 0, 0, 0, 0, 0, 2}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
        Set<Geometry> keys = new HashSet<>();
        keys.add(Geometry.of(args(base, false)));
        for (int[] change : changed) {
            int[] p = base.clone();
            for (int i = 0; i < change.length; i++) if (change[i] != 0) p[i] = change[i];
            keys.add(Geometry.of(args(p, false)));
        }
        assertThat(keys).hasSize(1 + changed.length);
        assertThat(Geometry.of(args(base, true))).isEqualTo(Geometry.of(args(base, false)));
    }

    private static Convolution.Args args(int[] p, boolean strided) {
        int b = p[0], h = p[1], w = p[2], in = p[3], out = p[4], k = p[5];
        Tensor x = strided ? Tensor.zeros(b, in, h * w).transpose(1, 2) : Tensor.zeros(b, h * w, in);
        return new Convolution.Args(x, h, w, Tensor.zeros(out, in / p[9], k, k), null, p[6], p[7], p[8], p[9]);
    }

    @Test
    void geometriesPastCudnnsIntCountsOrWithoutABatchGoToTheReference() {
        // 46340^2 = 2,147,395,600 elements fit an int; 46341^2 does not
        assertThat(new Geometry(1, 46340, 46340, 1, 1, 1, 1, 0, 1, 1).fitsCudnn()).isTrue();
        assertThat(new Geometry(1, 46341, 46341, 1, 1, 1, 1, 0, 1, 1).fitsCudnn()).isFalse();
        // the output alone too large: one channel widened to 2^26 over 64 positions (2^32 outputs, 2^26 weights)
        assertThat(new Geometry(1, 8, 8, 1, 1 << 26, 1, 1, 0, 1, 1).fitsCudnn()).isFalse();
        // the weight alone too large: 2^16 x 2^16 pointwise over one position
        assertThat(new Geometry(1, 1, 1, 1 << 16, 1 << 16, 1, 1, 0, 1, 1).fitsCudnn()).isFalse();
        assertThat(new Geometry(1, 1, 1, 1 << 16, 1 << 16, 1, 1, 0, 1, 1 << 16).fitsCudnn()).as("the same depthwise").isTrue();
        assertThat(new Geometry(0, 8, 8, 4, 4, 3, 1, 1, 1, 1).fitsCudnn()).isFalse();
    }

    @Test
    void batchNormLeavesASingleRowToTheDefault() {
        // one row has no unbiased variance for cuDNN to report, so nothing to scale back to the biased one
        assertThat(CudnnBatchNorm.fits(1, 64)).isFalse();
        assertThat(CudnnBatchNorm.fits(2, 64)).isTrue();
        assertThat(CudnnBatchNorm.fits(1 << 16, 1 << 15)).isFalse();
    }
}
