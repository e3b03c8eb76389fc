package dev.dinoj.dino.data;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Block-wise masks: never more than asked, made of blocks, spanning the ratio range over a batch, reproducible. */
class BlockMaskingTest {
    private static int count(boolean[] m) {
        int c = 0;
        for (boolean b : m) if (b) c++;
        return c;
    }

    @Test
    void aMaskCoversAboutTheRequestedPatchesInBlocks() {
        BlockMasking masking = new BlockMasking(14, 14, 0.1, 0.5, 0.5);
        SplittableRandom r = new SplittableRandom(1);
        int total = 0;
        for (int trial = 0; trial < 50; trial++) {
            boolean[] m = masking.mask(60, r);
            assertThat(count(m)).isLessThanOrEqualTo(60);
            total += count(m);
            // blocks, not scattered patches: most masked patches have a masked 4-neighbour
            int neighboured = 0;
            for (int i = 0; i < 14; i++) {
                for (int j = 0; j < 14; j++) {
                    if (!m[i * 14 + j]) continue;
                    boolean n = (i > 0 && m[(i - 1) * 14 + j]) || (i < 13 && m[(i + 1) * 14 + j]) || (j > 0 && m[i * 14 + j - 1]) || (j < 13 && m[i * 14 + j + 1]);
                    if (n) neighboured++;
                }
            }
            assertThat(neighboured).isGreaterThanOrEqualTo(count(m) * 9 / 10);
        }
        assertThat(total / 50.0).as("mean masked patches").isGreaterThan(45);
        assertThat(count(masking.mask(0, r))).isZero();
    }

    @Test
    void aBatchMasksItsShareOfImagesAcrossTheRatioRange() {
        BlockMasking masking = new BlockMasking(8, 8, 0.1, 0.5, 0.5);
        List<boolean[]> batch = masking.batch(32, new SplittableRandom(7));
        assertThat(batch).hasSize(32);
        long unmasked = batch.stream().filter(m -> count(m) == 0).count();
        assertThat(unmasked).isGreaterThanOrEqualTo(16);
        int max = batch.stream().mapToInt(BlockMaskingTest::count).max().orElse(0);
        assertThat(max).isLessThanOrEqualTo(32).isGreaterThan(15); // the last slice reaches towards half the grid
        // the same seed gives the same masks
        List<boolean[]> again = masking.batch(32, new SplittableRandom(7));
        for (int i = 0; i < 32; i++) assertThat(again.get(i)).containsExactly(batch.get(i));
        assertThatThrownBy(() -> new BlockMasking(8, 8, 0.6, 0.5, 0.5)).hasMessageContaining("--mask-ratio");
        assertThatThrownBy(() -> new BlockMasking(8, 8, 0.1, 0.5, 1.5)).hasMessageContaining("--mask-probability");
    }
}
