package dev.dinoj.dino.data;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** What the photometric transforms do to a picture decoded from a one-channel file (three identical planes). */
class GreyscaleAugmentationTest {
    /** A grey picture holding every 8-bit level, as ImageFiles decodes a grey file. */
    private static Image allLevels() {
        int w = 32, h = 8, p = w * h;
        float[] d = new float[3 * p];
        for (int i = 0; i < p; i++) d[i] = d[p + i] = d[2 * p + i] = i / 255f;
        Image im = new Image(w, h, d);
        assertThat(im.isGrey()).isTrue();
        return im;
    }

    @Test
    void saturationHueAndGrayscaleLeaveAGreyPictureBitIdentical() {
        Image grey = allLevels();
        for (float factor : new float[] {0f, 0.8f, 0.8000001f, 0.93f, 1f, 1.2f, 1.1999999f}) {
            Image s = grey.copy();
            PhotometricOps.saturation(s, factor);
            assertThat(s.data).as("saturation %s", factor).containsExactly(grey.data);
        }
        for (float shift : new float[] {0f, -0.1f, 0.1f, 0.05f, 1f / 3, -0.5f, 0.5f}) {
            Image hue = grey.copy();
            PhotometricOps.hue(hue, shift); // through HSV: a grey pixel has max - min = 0, so saturation 0, value = the grey
            assertThat(hue.data).as("hue %s", shift).containsExactly(grey.data);
        }
        Image g = grey.copy();
        PhotometricOps.grayscale(g);
        assertThat(g.data).containsExactly(grey.data);
        SplittableRandom r = new SplittableRandom(9);
        for (int k = 0; k < 200; k++) {
            float v = (float) r.nextDouble(), f = (float) r.nextDouble(0.8, 1.2), sh = (float) r.nextDouble(-0.1, 0.1);
            Image one = new Image(1, 1, new float[] {v, v, v});
            PhotometricOps.saturation(one, f);
            PhotometricOps.hue(one, sh);
            PhotometricOps.grayscale(one);
            assertThat(one.data).as("grey %s, saturation %s, hue %s", v, f, sh).containsExactly(v, v, v);
        }
    }

    @Test
    void brightnessContrastSolarizeAndBlurActOnAGreyPictureAndKeepItGrey() {
        Image grey = allLevels();
        Image b = grey.copy(), c = grey.copy(), s = grey.copy(), blur = grey.copy();
        PhotometricOps.brightness(b, 0.7f);
        PhotometricOps.contrast(c, 1.3f);
        PhotometricOps.solarize(s);
        PhotometricOps.gaussianBlur(blur, 1.0);
        for (Image im : new Image[] {b, c, s, blur}) {
            assertThat(im.isGrey()).isTrue();
            assertThat(im.data).isNotEqualTo(grey.data);
        }
        assertThat(b.get(0, 0, 20)).isEqualTo(grey.get(0, 0, 20) * 0.7f);
        assertThat(s.get(1, 7, 31)).isEqualTo(1f - 255f / 255f); // level 255 solarized
        for (int seed = 0; seed < 50; seed++) {
            Image j = grey.copy();
            MultiCropAugmentation.colorJitter(j, new SplittableRandom(seed));
            assertThat(j.isGrey()).as("colour jitter, seed %d", seed).isTrue();
        }
    }

    @Test
    void saturationAndGrayscaleOnColourStillDoWhatTheySay() {
        Image im = new SyntheticShapes(1, 16, 3).image(0);
        int p = im.width * im.height;
        Image none = im.copy(), half = im.copy();
        PhotometricOps.saturation(none, 0f);
        PhotometricOps.saturation(half, 0.5f);
        for (int i = 0; i < p; i++) {
            double r = im.data[i], g = im.data[p + i], bl = im.data[2 * p + i], l = 0.299 * r + 0.587 * g + 0.114 * bl;
            for (int ch = 0; ch < 3; ch++) {
                assertThat((double) none.data[ch * p + i]).isCloseTo(l, org.assertj.core.data.Offset.offset(1e-6));
                assertThat((double) half.data[ch * p + i]).isCloseTo(0.5 * im.data[ch * p + i] + 0.5 * l, org.assertj.core.data.Offset.offset(1e-6));
            }
        }
    }
}
