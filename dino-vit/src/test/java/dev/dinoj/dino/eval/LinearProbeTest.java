package dev.dinoj.dino.eval;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.dino.VisionTransformer;
import dev.dinoj.dino.VitConfig;
import dev.dinoj.dino.data.SyntheticShapes;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LinearProbeTest {
    /**
     * Gaussian features labelled by the largest of a few random linear scores (a linear argmax, so a linear
     * classifier can be exact), keeping only points whose top two scores differ by at least 1 (a margin).
     * Returns the kept rows and their labels.
     */
    private static Object[] separable(Generator g, int n, Tensor planes) {
        int c = planes.size(0), dim = planes.size(1);
        Tensor x = Tensor.randn(g, n, dim);
        float[] s = x.matmul(planes.t()).toFloatArray(), v = x.toFloatArray();
        float[] kept = new float[n * dim];
        int[] labels = new int[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            int best = 0, second = -1;
            for (int j = 1; j < c; j++) {
                if (s[i * c + j] > s[i * c + best]) {
                    second = best;
                    best = j;
                } else if (second < 0 || s[i * c + j] > s[i * c + second]) {
                    second = j;
                }
            }
            if (s[i * c + best] - s[i * c + second] < 1f) continue;
            System.arraycopy(v, i * dim, kept, m * dim, dim);
            labels[m++] = best;
        }
        return new Object[] {Tensor.fromArray(java.util.Arrays.copyOf(kept, m * dim), m, dim), java.util.Arrays.copyOf(labels, m)};
    }

    private static final LinearProbe.Options FAST = LinearProbe.Options.reference().withEpochs(30).withBatchSize(64).withLr(0.1).withValEvery(0);

    @Test
    void linearlySeparableFeaturesAreLearned() {
        Generator g = new Generator(3);
        int classes = 6, dim = 33;
        Tensor planes = Tensor.randn(g, classes, dim);
        Object[] train = separable(g, 1500, planes), val = separable(g, 397, planes);
        assertThat(((int[]) val[1]).length).isGreaterThan(300);
        LinearProbe.Result r = LinearProbe.train((Tensor) train[0], (int[]) train[1], (Tensor) val[0], (int[]) val[1], classes, FAST, null);
        assertThat(r.top1()).isGreaterThan(0.95);
        assertThat(r.top5()).isGreaterThan(0.999);
        assertThat(r.trainTop1()).isGreaterThan(0.95);
        assertThat(r.bestTop1()).isGreaterThanOrEqualTo(r.top1());
        assertThat(r.bestEpoch()).isEqualTo(30); // validated at the last epoch only
        assertThat(r.trainLoss()).isLessThan(0.5 * Math.log(classes));
    }

    @Test
    void randomLabelsGiveChanceOnValidation() {
        Generator g = new Generator(4);
        Random rnd = new Random(5);
        int classes = 10;
        Tensor train = Tensor.randn(g, 400, 64), val = Tensor.randn(g, 1000, 64);
        int[] tl = new int[400], vl = new int[1000];
        for (int i = 0; i < tl.length; i++) tl[i] = rnd.nextInt(classes);
        for (int i = 0; i < vl.length; i++) vl[i] = rnd.nextInt(classes);
        LinearProbe.Result r = LinearProbe.train(train, tl, val, vl, classes, FAST, null);
        assertThat(r.top1()).isBetween(0.05, 0.15); // chance 0.10; 1000 samples: sd 0.0095
        assertThat(r.top5()).isBetween(0.42, 0.58);
        assertThat(r.trainTop1()).isGreaterThan(0.3); // it does fit (memorise) the training set: the test can tell
    }

    @Test
    void deterministicGivenTheSeedAndTheSeedMatters() {
        Generator g = new Generator(6);
        Random rnd = new Random(7);
        int classes = 5;
        Tensor train = Tensor.randn(g, 301, 17), val = Tensor.randn(g, 199, 17);
        int[] tl = new int[301], vl = new int[199];
        for (int i = 0; i < tl.length; i++) tl[i] = rnd.nextInt(classes);
        for (int i = 0; i < vl.length; i++) vl[i] = rnd.nextInt(classes);
        LinearProbe.Options o = FAST.withEpochs(5).withValEvery(1);
        LinearProbe.Result a = LinearProbe.train(train, tl, val, vl, classes, o, null), b = LinearProbe.train(train, tl, val, vl, classes, o, null);
        assertThat(b).isEqualTo(a); // a record of doubles: bit-identical
        LinearProbe.Result c = LinearProbe.train(train, tl, val, vl, classes, o.withSeed(1), null);
        assertThat(c.trainLoss()).isNotEqualTo(a.trainLoss());
    }

    @Test
    void referenceDefaultsAndBadInputs() {
        LinearProbe.Options ref = LinearProbe.Options.reference();
        assertThat(ref.epochs()).isEqualTo(100);
        assertThat(ref.lr()).isEqualTo(0.001);
        assertThat(ref.momentum()).isEqualTo(0.9);
        assertThat(ref.weightDecay()).isZero();
        assertThat(ref.standardize()).isFalse();
        assertThat(ref.withBatchSize(1024).scaledLr()).isEqualTo(0.004); // the reference's 8 GPUs x 128
        Tensor f = Tensor.randn(new Generator(1), 4, 3);
        assertThatThrownBy(() -> LinearProbe.train(f, new int[] {0, 1, 0}, f, new int[] {0, 1, 0, 1}, 2, ref, null))
                .hasMessageContaining("3 train labels for 4 features");
        assertThatThrownBy(() -> LinearProbe.train(f, new int[] {0, 1, 2, 0}, f, new int[] {0, 1, 0, 1}, 2, ref, null))
                .hasMessageContaining("label 2 is outside [0, 2)");
        Tensor nan = Tensor.fromArray(new float[] {1, 2, 3, 4, Float.NaN, 6}, 2, 3);
        assertThatThrownBy(() -> LinearProbe.train(f, new int[] {0, 1, 0, 1}, nan, new int[] {0, 1}, 2, ref, null))
                .hasMessageContaining("val feature 1 has a non-finite value");
        assertThatThrownBy(() -> LinearProbe.train(f, new int[] {0, 1, 0, 1}, Tensor.randn(new Generator(2), 2, 5), new int[] {0, 1}, 2, ref, null))
                .hasMessageContaining("dimensions");
        assertThatThrownBy(() -> ref.withEpochs(0)).hasMessageContaining("epochs must be positive");
    }

    @Test
    void probeFeaturesAreTheNormalisedClsTokensOfTheLastBlocksAndThePooledPatches() throws IOException {
        VitConfig c = new VitConfig(16, 3, 2, 4, 12, 2f, 0f);
        VisionTransformer vit = new VisionTransformer(c, new Generator(8));
        SyntheticShapes data = new SyntheticShapes(5, 12, 2);
        Tensor cls = FeatureExtractor.extract(vit, data, 2, 1);
        Tensor two = FeatureExtractor.lastBlocks(vit, data, 2, true, 2, 1);
        assertThat(two.dims()).containsExactly(5, 16 * 3);
        // the last block's normalised cls token is what forward() returns
        assertThat(two.narrow(1, 16, 16).contiguous().toFloatArray()).containsExactly(cls.toFloatArray());
        float[] input = new float[5 * 3 * 12 * 12];
        for (int i = 0; i < 5; i++) {
            System.arraycopy(dev.dinoj.dino.data.MultiCropAugmentation.evalTransform(data.image(i), 12), 0, input, i * 432, 432);
        }
        List<Variable> layers;
        try (GradMode.Scope ignored = GradMode.disabled()) {
            layers = vit.intermediateLayers(Variable.constant(Tensor.fromArray(input, 5, 3, 12, 12)), 2);
        }
        assertThat(layers).hasSize(2);
        assertThat(layers.get(0).dims()).containsExactly(5, 1 + 9, 16);
        float[] got = two.toFloatArray(), first = layers.get(0).data().contiguous().toFloatArray(), lastL = layers.get(1).data().contiguous().toFloatArray();
        for (int i = 0; i < 5; i++) {
            for (int d = 0; d < 16; d++) {
                assertThat(got[i * 48 + d]).isCloseTo(first[i * 160 + d], org.assertj.core.data.Offset.offset(1e-5f)); // block 1's cls
                double mean = 0;
                for (int p = 1; p < 10; p++) mean += lastL[i * 160 + p * 16 + d] / 9.0;
                assertThat((double) got[i * 48 + 32 + d]).isCloseTo(mean, org.assertj.core.data.Offset.offset(1e-5));
            }
        }
        // block 1 (after the norm) is not block 2: the concatenation adds information
        assertThat(two.narrow(1, 0, 16).contiguous().toFloatArray()).isNotEqualTo(cls.toFloatArray());
        assertThatThrownBy(() -> FeatureExtractor.lastBlocks(vit, data, 4, false, 2, 1)).hasMessageContaining("[1, 3]");
    }
}
