package dev.dinoj.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RandomTest {
    @Test
    void philoxMatchesTheRandom123KnownAnswers() {
        int[] out = new int[4];
        Philox.rounds(0, 0, 0, 0, 0, 0, out);
        assertThat(out).containsExactly(0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8);
        Philox.rounds(-1, -1, -1, -1, -1, -1, out);
        assertThat(out).containsExactly(0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd);
        Philox.rounds(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
        assertThat(out).containsExactly(0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1);
    }

    @Test
    void sameSeedSameStreamAndTheCounterAdvances() {
        Generator g1 = new Generator(7), g2 = new Generator(7);
        float[] a = Tensor.rand(g1, 1001).toFloatArray();
        assertThat(Tensor.rand(g2, 1001).toFloatArray()).containsExactly(a);
        assertThat(g1.offset()).isEqualTo(251); // ceil(1001 / 4) blocks
        assertThat(Tensor.rand(g1, 1001).toFloatArray()).isNotEqualTo(a);
        Generator g3 = new Generator(8);
        assertThat(Tensor.rand(g3, 1001).toFloatArray()).isNotEqualTo(a);
        // restoring a saved state replays the stream
        Generator g4 = new Generator(0);
        g4.setState(7, 251);
        float[] stream = Tensor.rand(new Generator(7), 1009).toFloatArray();
        assertThat(Tensor.rand(g4, 5).toFloatArray()).containsExactly(java.util.Arrays.copyOfRange(stream, 1004, 1009));
    }

    @Test
    void elementIDependsOnlyOnSeedAndCounter() {
        // element i of a uniform tensor is word i % 4 of block offset + i / 4
        Generator g = new Generator(99);
        g.reserve(3);
        float[] v = Tensor.rand(g, 10).toFloatArray();
        int[] w = new int[4];
        Philox.block(99, 3 + 2, w);
        assertThat(v[9]).isEqualTo(Philox.uniform(w[1]));
    }

    @Test
    void distributionsHaveTheRightMoments() {
        Generator g = new Generator(1234);
        int n = 400_000;
        Tensor u = Tensor.random(RandomDistribution.UNIFORM, -1f, 3f, Shape.of(n), g, Device.CPU);
        assertThat(u.min().item()).isGreaterThanOrEqualTo(-1f);
        assertThat(u.max().item()).isLessThan(3f);
        assertThat(u.mean().item()).isCloseTo(1f, org.assertj.core.data.Offset.offset(0.01f));
        assertThat(u.var(0, false).item()).isCloseTo(16f / 12, org.assertj.core.data.Offset.offset(0.01f));
        Tensor z = Tensor.randn(g, n);
        assertThat(z.mean().item()).isCloseTo(0f, org.assertj.core.data.Offset.offset(0.01f));
        assertThat(z.var(0, false).item()).isCloseTo(1f, org.assertj.core.data.Offset.offset(0.01f));
        float tail = z.abs().gt(1.96f).mean().item();
        assertThat(tail).isCloseTo(0.05f, org.assertj.core.data.Offset.offset(0.003f));
        Tensor b = Tensor.bernoulli(0.3f, g, n);
        assertThat(b.mean().item()).isCloseTo(0.3f, org.assertj.core.data.Offset.offset(0.005f));
        assertThat(b.eq(0f).add(b.eq(1f)).min().item()).isEqualTo(1f);
    }

    @Test
    void badParametersAreRejected() {
        Generator g = new Generator(1);
        assertThatThrownBy(() -> Tensor.bernoulli(1.5f, g, 3)).hasMessageContaining("p must be in [0, 1]");
        assertThatThrownBy(() -> Tensor.random(RandomDistribution.NORMAL, 0, -1, Shape.of(2), g, Device.CPU))
                .hasMessageContaining("std");
    }
}
