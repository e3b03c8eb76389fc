package dev.dinoj.dino.data;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class AugmentationTest {
    private final SyntheticShapes shapes = new SyntheticShapes(20, 40, 1);

    @Test
    void multiCropGivesTwoGlobalAndNLocalCropsOfTheRightSizeAndRange() {
        MultiCropAugmentation aug = new MultiCropAugmentation(32, 16, 5, new double[] {0.4, 1}, new double[] {0.05, 0.4});
        List<float[]> crops = aug.apply(shapes.image(3), new SplittableRandom(7));
        assertThat(crops).hasSize(7);
        assertThat(crops.subList(0, 2)).allMatch(c -> c.length == 3 * 32 * 32);
        assertThat(crops.subList(2, 7)).allMatch(c -> c.length == 3 * 16 * 16);
        for (float[] c : crops) {
            for (int ch = 0; ch < 3; ch++) {
                float lo = -MultiCropAugmentation.MEAN[ch] / MultiCropAugmentation.STD[ch] - 1e-4f;
                float hi = (1 - MultiCropAugmentation.MEAN[ch]) / MultiCropAugmentation.STD[ch] + 1e-4f;
                for (int i = ch * c.length / 3; i < (ch + 1) * c.length / 3; i++) assertThat(c[i]).isBetween(lo, hi);
            }
        }
    }

    @Test
    void augmentationIsDeterministicForASeedAndVariesAcrossSeeds() {
        MultiCropAugmentation aug = new MultiCropAugmentation(32, 16, 2, new double[] {0.4, 1}, new double[] {0.05, 0.4});
        Image im = shapes.image(5);
        List<float[]> a = aug.apply(im, new SplittableRandom(11)), b = aug.apply(im, new SplittableRandom(11)), c = aug.apply(im, new SplittableRandom(12));
        for (int i = 0; i < a.size(); i++) assertThat(b.get(i)).containsExactly(a.get(i));
        assertThat(c.get(0)).isNotEqualTo(a.get(0));
        assertThat(im.data).containsExactly(shapes.image(5).data); // the source is not modified
    }

    @Test
    void eachRecipeJittersAsItsPaper() {
        // a flat dark colour: crop, flip and blur leave it flat, so the crop's mean is the jitter's work alone
        Image flat = Image.blank(40, 40);
        for (int c = 0; c < 3; c++) java.util.Arrays.fill(flat.data, c * 1600, (c + 1) * 1600, 0.2f + 0.05f * c);
        double byol = firstCropBrightnessSpread(PhotometricRecipe.BYOL, flat), simclr = firstCropBrightnessSpread(PhotometricRecipe.SIMCLR, flat);
        // brightness and contrast factors in [0.2, 1.8] against [0.6, 1.4]: about twice the spread
        assertThat(simclr / byol).isBetween(1.5, 3.0);
        MultiCropAugmentation dino = new MultiCropAugmentation(32, 16, 2, new double[] {0.4, 1}, new double[] {0.05, 0.4});
        assertThat(dino.recipe()).isSameAs(PhotometricRecipe.BYOL);
        assertThatThrownBy(() -> new PhotometricRecipe.Range(1.4, 0.6)).hasMessageContaining("0 <= lo < hi");
        assertThat(new PhotometricRecipe.Range(0.6, 1.4)).isEqualTo(PhotometricRecipe.BYOL.brightness());
    }

    private static double firstCropBrightnessSpread(PhotometricRecipe recipe, Image flat) {
        MultiCropAugmentation aug = new MultiCropAugmentation(16, 8, 0, new double[] {0.4, 1}, new double[] {0.05, 0.4}, recipe);
        SplittableRandom r = new SplittableRandom(5);
        double sum = 0, sq = 0;
        int n = 400;
        for (int i = 0; i < n; i++) {
            float[] c = aug.apply(flat, r).get(0);
            double m = 0;
            for (float v : c) m += v;
            m /= c.length;
            sum += m;
            sq += m * m;
        }
        return Math.sqrt(sq / n - (sum / n) * (sum / n));
    }

    @Test
    void randomResizedCropBoxesStayInsideAndRespectTheScaleRange() {
        SplittableRandom r = new SplittableRandom(3);
        for (int k = 0; k < 500; k++) {
            double[] box = MultiCropAugmentation.randomResizedCropBox(40, 30, 0.05, 0.4, r);
            assertThat(box[0]).isGreaterThanOrEqualTo(0);
            assertThat(box[1]).isGreaterThanOrEqualTo(0);
            assertThat(box[0] + box[2]).isLessThanOrEqualTo(40);
            assertThat(box[1] + box[3]).isLessThanOrEqualTo(30);
            double frac = box[2] * box[3] / (40.0 * 30);
            assertThat(frac).isBetween(0.03, 0.45); // integer rounding of w and h widens the range a little
            assertThat(box[2] / box[3]).isBetween(0.7, 1.45);
        }
    }

    @Test
    void photometricOpsDoWhatTheySay() {
        Image im = shapes.image(2).copy();
        Image gray = im.copy();
        PhotometricOps.grayscale(gray);
        int p = im.width * im.height;
        for (int i = 0; i < p; i++) {
            assertThat(gray.data[i]).isEqualTo(gray.data[p + i]);
            assertThat(gray.data[i]).isCloseTo(0.299f * im.data[i] + 0.587f * im.data[p + i] + 0.114f * im.data[2 * p + i], offset(1e-6f));
        }
        Image sol = im.copy();
        PhotometricOps.solarize(sol);
        for (int i = 0; i < im.data.length; i++) {
            assertThat(sol.data[i]).isEqualTo(im.data[i] >= 128f / 255f ? 1 - im.data[i] : im.data[i]);
        }
        Image hue = im.copy();
        PhotometricOps.hue(hue, 0f);
        for (int i = 0; i < im.data.length; i++) assertThat(hue.data[i]).isCloseTo(im.data[i], offset(1e-5f));
        Image red = new Image(1, 1, new float[] {1f, 0f, 0f});
        PhotometricOps.hue(red, 1f / 3); // red -> green
        assertThat(red.data).containsExactly(new float[] {0f, 1f, 0f}, offset(1e-6f));
        Image flat = new Image(2, 1, new float[] {0.2f, 0.6f, 0.2f, 0.6f, 0.2f, 0.6f});
        PhotometricOps.contrast(flat, 0f);
        assertThat(flat.data).containsOnly(0.4f);
        Image blurred = im.copy();
        PhotometricOps.gaussianBlur(blurred, 1.5);
        assertThat(variance(blurred.data)).isLessThan(variance(im.data));
        assertThat(mean(blurred.data)).isCloseTo(mean(im.data), offset(0.01));
        Image flip = im.copy();
        PhotometricOps.horizontalFlip(flip);
        assertThat(flip.get(1, 3, 0)).isEqualTo(im.get(1, 3, im.width - 1));
    }

    @Test
    void resamplerPreservesConstantsAndShrinksWithAntialiasing() {
        Image constant = new Image(10, 10, filled(300, 0.3f));
        Image r = Resampler.resize(constant, 2.5, 1.0, 6, 7, 5, 4);
        assertThat(r.data).containsOnly(new float[] {0.3f}, offset(1e-6f));
        // a one-pixel checkerboard shrunk 4x averages to grey (no aliasing)
        float[] checker = new float[3 * 32 * 32];
        for (int c = 0; c < 3; c++) for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) checker[(c * 32 + y) * 32 + x] = (x + y) % 2;
        Image small = Resampler.resize(new Image(32, 32, checker), 8, 8);
        for (float v : small.data) assertThat(v).isCloseTo(0.5f, offset(0.05f));
        assertThatThrownBy(() -> Resampler.resize(constant, 0, 0)).hasMessageContaining("positive");
    }

    @Test
    void evalTransformKeepsModelSizedImagesAndCentreCropsOthers() {
        Image im = shapes.image(0);
        float[] same = MultiCropAugmentation.evalTransform(new SyntheticShapes(1, 32, 1).image(0), 32);
        assertThat(same).containsExactly(MultiCropAugmentation.normalize(new SyntheticShapes(1, 32, 1).image(0)));
        assertThat(MultiCropAugmentation.evalTransform(im, 32)).hasSize(3 * 32 * 32);
        Image wide = Resampler.resize(im, 80, 40);
        assertThat(MultiCropAugmentation.evalTransform(wide, 24)).hasSize(3 * 24 * 24);
    }

    @Test
    void syntheticShapesAreDeterministicLabelledAndVaried() {
        SyntheticShapes a = new SyntheticShapes(12, 32, 5), b = new SyntheticShapes(12, 32, 5), c = new SyntheticShapes(12, 32, 6);
        assertThat(a.image(7).data).containsExactly(b.image(7).data);
        assertThat(a.image(7).data).isNotEqualTo(c.image(7).data);
        assertThat(a.label(7)).isEqualTo(1);
        assertThat(a.classes()).hasSize(6);
        for (int i = 0; i < 12; i++) {
            for (float v : a.image(i).data) assertThat(v).isBetween(0f, 1f);
        }
        assertThat(SyntheticShapes.inside(0, 0.5, 0.5)).isTrue();
        assertThat(SyntheticShapes.inside(4, 0.1, 0.1)).isFalse(); // the ring's hole
        assertThat(SyntheticShapes.inside(3, 0.9, 0.9)).isFalse(); // outside the cross's arms
        assertThatThrownBy(() -> a.image(12)).hasMessageContaining("outside [0, 12)");
    }

    private static float[] filled(int n, float v) {
        float[] f = new float[n];
        java.util.Arrays.fill(f, v);
        return f;
    }

    private static double mean(float[] d) {
        double s = 0;
        for (float v : d) s += v;
        return s / d.length;
    }

    private static double variance(float[] d) {
        double m = mean(d), s = 0;
        for (float v : d) s += (v - m) * (v - m);
        return s / d.length;
    }
}
