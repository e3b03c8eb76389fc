package dev.dinoj.dino.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * DINO's multi-crop augmentation (DataAugmentationDINO): two global crops and N local crops of one
 * image, each a RandomResizedCrop (bicubic) followed by horizontal flip (p 0.5), colour jitter
 * (brightness 0.4, contrast 0.4, saturation 0.2, hue 0.1, in random order, p 0.8), grayscale (p 0.2)
 * and Gaussian blur (p 1.0 on the first global crop, 0.1 on the second, 0.5 on local crops), plus
 * solarization (p 0.2) on the second global crop, then ImageNet normalisation. The blur radius range
 * (0.1 to 2.0 pixels at 224 px) is scaled to the crop size so small images are not washed out.
 *
 * <p>Grey (one-channel) pictures, MNIST's or a grey PNG or JPEG, are read as three identical planes
 * (as PIL's convert('RGB') gives them) and stay grey up to the normalisation: brightness and contrast
 * act on them; saturation, hue and grayscale leave them bit-identical (a grey pixel is its own luma,
 * and has HSV saturation 0, so no hue rotation moves it), so colour jitter reduces to brightness and
 * contrast; solarization and blur act. GreyscaleAugmentationTest checks each of these.
 *
 * <p>The photometric ops and their probabilities are DINO's (= BYOL's) unless a method brings its own
 * {@link PhotometricRecipe} (SimCLR's stronger colour distortion, MoCo v2's symmetric blur, ...).
 */
public final class MultiCropAugmentation {
    static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    static final float[] STD = {0.229f, 0.224f, 0.225f};

    private final int globalSize, localSize, localCrops;
    private final double globalMin, globalMax, localMin, localMax;
    private final PhotometricRecipe recipe;

    public MultiCropAugmentation(int globalSize, int localSize, int localCrops, double[] globalScale, double[] localScale) {
        this(globalSize, localSize, localCrops, globalScale, localScale, PhotometricRecipe.BYOL);
    }

    public MultiCropAugmentation(int globalSize, int localSize, int localCrops, double[] globalScale, double[] localScale, PhotometricRecipe recipe) {
        if (globalSize <= 0 || localSize <= 0) throw new IllegalArgumentException("crop sizes must be positive, got " + globalSize + " and " + localSize);
        if (localCrops < 0) throw new IllegalArgumentException("local crop count must be >= 0, got " + localCrops);
        checkScale(globalScale, "global");
        checkScale(localScale, "local");
        this.globalSize = globalSize;
        this.localSize = localSize;
        this.localCrops = localCrops;
        this.globalMin = globalScale[0];
        this.globalMax = globalScale[1];
        this.localMin = localScale[0];
        this.localMax = localScale[1];
        this.recipe = java.util.Objects.requireNonNull(recipe, "photometric recipe");
    }

    public PhotometricRecipe recipe() {
        return recipe;
    }

    private static void checkScale(double[] s, String which) {
        if (s.length != 2 || !(s[0] > 0) || !(s[0] <= s[1]) || s[1] > 1) {
            throw new IllegalArgumentException(which + " crop scale must be two numbers 0 < min <= max <= 1, got " + java.util.Arrays.toString(s));
        }
    }

    public int globalSize() {
        return globalSize;
    }

    public int localSize() {
        return localSize;
    }

    public int cropCount() {
        return 2 + localCrops;
    }

    /** The crops of one image, normalised, each float[3 * s * s]: the 2 global crops first. */
    public List<float[]> apply(Image image, SplittableRandom r) {
        List<float[]> out = new ArrayList<>(cropCount());
        out.add(crop(image, r, globalSize, globalMin, globalMax, recipe.blurFirst(), recipe.solarizeFirst()));
        out.add(crop(image, r, globalSize, globalMin, globalMax, recipe.blurSecond(), recipe.solarizeSecond()));
        for (int i = 0; i < localCrops; i++) out.add(crop(image, r, localSize, localMin, localMax, recipe.blurLocal(), 0));
        return out;
    }

    private float[] crop(Image src, SplittableRandom r, int size, double smin, double smax, double blurP, double solarizeP) {
        double[] box = randomResizedCropBox(src.width, src.height, smin, smax, r);
        Image im = Resampler.resize(src, box[0], box[1], box[2], box[3], size, size);
        if (r.nextDouble() < 0.5) PhotometricOps.horizontalFlip(im);
        if (r.nextDouble() < recipe.jitter()) colorJitter(im, r, recipe);
        if (r.nextDouble() < recipe.grey()) PhotometricOps.grayscale(im);
        if (r.nextDouble() < blurP) {
            double scale = size / 224.0;
            PhotometricOps.gaussianBlur(im, r.nextDouble(0.1, 2.0) * scale);
        }
        if (solarizeP > 0 && r.nextDouble() < solarizeP) PhotometricOps.solarize(im);
        return normalize(im);
    }

    /** DINO's ColorJitter(0.4, 0.4, 0.2, 0.1). */
    static void colorJitter(Image im, SplittableRandom r) {
        colorJitter(im, r, PhotometricRecipe.BYOL);
    }

    /** The recipe's colour jitter: each factor drawn, applied in a random order. */
    static void colorJitter(Image im, SplittableRandom r, PhotometricRecipe recipe) {
        float b = (float) r.nextDouble(recipe.brightness().lo(), recipe.brightness().hi()), c = (float) r.nextDouble(recipe.contrast().lo(), recipe.contrast().hi());
        float s = (float) r.nextDouble(recipe.saturation().lo(), recipe.saturation().hi());
        float h = recipe.hue() > 0 ? (float) r.nextDouble(-recipe.hue(), recipe.hue()) : 0f;
        int[] order = {0, 1, 2, 3};
        for (int i = 3; i > 0; i--) {
            int j = r.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int op : order) {
            switch (op) {
                case 0: PhotometricOps.brightness(im, b); break;
                case 1: PhotometricOps.contrast(im, c); break;
                case 2: PhotometricOps.saturation(im, s); break;
                default: PhotometricOps.hue(im, h); break;
            }
        }
    }

    /**
     * torchvision's RandomResizedCrop.get_params: up to 10 tries of an area fraction in [smin, smax]
     * and a log-uniform aspect ratio in [3/4, 4/3]; else the central crop with the ratio clamped.
     * Returns {x, y, w, h}.
     */
    static double[] randomResizedCropBox(int width, int height, double smin, double smax, SplittableRandom r) {
        double area = (double) width * height, logLo = Math.log(3.0 / 4), logHi = Math.log(4.0 / 3);
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (smin == smax ? smin : r.nextDouble(smin, smax));
            double ratio = Math.exp(r.nextDouble(logLo, logHi));
            int w = (int) Math.round(Math.sqrt(target * ratio)), h = (int) Math.round(Math.sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height) {
                int y = r.nextInt(height - h + 1), x = r.nextInt(width - w + 1);
                return new double[] {x, y, w, h};
            }
        }
        double inRatio = (double) width / height;
        int w, h;
        if (inRatio < 3.0 / 4) {
            w = width;
            h = (int) Math.round(w / (3.0 / 4));
        } else if (inRatio > 4.0 / 3) {
            h = height;
            w = (int) Math.round(h * (4.0 / 3));
        } else {
            w = width;
            h = height;
        }
        return new double[] {(width - w) / 2, (height - h) / 2, w, h};
    }

    /** (x - mean) / std per channel, ImageNet statistics. */
    public static float[] normalize(Image im) {
        int p = im.width * im.height;
        float[] out = new float[3 * p];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < p; i++) out[c * p + i] = (im.data[c * p + i] - MEAN[c]) / STD[c];
        }
        return out;
    }

    /**
     * The reference's evaluation transform at model resolution {@code size}: an image already size x size
     * is only normalised; others have their shorter side resized to size / 0.875 (Resize(256) for 224)
     * and are centre-cropped to size.
     */
    public static float[] evalTransform(Image im, int size) {
        if (im.width == size && im.height == size) return normalize(im);
        int shorter = (int) Math.round(size / 0.875);
        int w, h;
        if (im.width <= im.height) {
            w = shorter;
            h = (int) Math.round((double) im.height * shorter / im.width);
        } else {
            h = shorter;
            w = (int) Math.round((double) im.width * shorter / im.height);
        }
        Image resized = Resampler.resize(im, w, h);
        int x0 = (int) Math.round((w - size) / 2.0), y0 = (int) Math.round((h - size) / 2.0);
        Image crop = Image.blank(size, size);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) crop.data[(c * size + y) * size + x] = resized.get(c, y0 + y, x0 + x);
            }
        }
        return normalize(crop);
    }

    /** The inverse of {@link #normalize}: a normalised size x size crop back as an image in [0, 1]. */
    public static Image denormalize(float[] normalized, int size) {
        int p = size * size;
        float[] d = new float[3 * p];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < p; i++) d[c * p + i] = Math.max(0f, Math.min(1f, normalized[c * p + i] * STD[c] + MEAN[c]));
        }
        return new Image(size, size, d);
    }
}
