package dev.dinoj.dino.data;

/**
 * The photometric half of a method's augmentation, as its paper's code has it: colour jitter (the
 * factor ranges of torchvision's ColorJitter, applied in random order with probability jitter), grayscale,
 * Gaussian blur and solarization, each with its probability for the first global crop, the second, and
 * the local crops. The crops' geometry (random-resized crop, flip) is the same for every method.
 *
 * @param brightness   brightness factor range (ColorJitter(b): [1 - b, 1 + b]); contrast and saturation alike
 * @param hue          hue shift range +-hue (0: none)
 */
public record PhotometricRecipe(String name, double jitter, Range brightness, Range contrast, Range saturation, double hue, double grey,
                                double blurFirst, double blurSecond, double blurLocal, double solarizeFirst, double solarizeSecond) {
    /** A jitter factor's range: drawn uniformly in [lo, hi). */
    public record Range(double lo, double hi) {
        public Range {
            if (!(lo >= 0) || !(lo < hi) || Double.isInfinite(hi)) throw new IllegalArgumentException("a jitter range must be 0 <= lo < hi, got [" + lo + ", " + hi + "]");
        }
    }

    /** DINO's and BYOL's (and so MoCo v3's and Barlow Twins'): ColorJitter(0.4, 0.4, 0.2, 0.1) p 0.8, blur 1.0 / 0.1, solarize 0 / 0.2. */
    public static final PhotometricRecipe BYOL = new PhotometricRecipe("byol", 0.8, new Range(0.6, 1.4), new Range(0.6, 1.4),
            new Range(0.8, 1.2), 0.1, 0.2, 1.0, 0.1, 0.5, 0, 0.2);
    /** SimCLR's colour distortion of strength 1 (ColorJitter(0.8, 0.8, 0.8, 0.2) p 0.8) and blur 0.5 on both views; SwAV's too. */
    public static final PhotometricRecipe SIMCLR = new PhotometricRecipe("simclr", 0.8, new Range(0.2, 1.8), new Range(0.2, 1.8),
            new Range(0.2, 1.8), 0.2, 0.2, 0.5, 0.5, 0.5, 0, 0);
    /** MoCo v2's (and SimSiam's): ColorJitter(0.4, 0.4, 0.4, 0.1) p 0.8, blur 0.5 on both views. */
    public static final PhotometricRecipe MOCOV2 = new PhotometricRecipe("mocov2", 0.8, new Range(0.6, 1.4), new Range(0.6, 1.4),
            new Range(0.6, 1.4), 0.1, 0.2, 0.5, 0.5, 0.5, 0, 0);
    /** Instance discrimination's: ColorJitter(0.4, 0.4, 0.4, 0.4) always, grayscale 0.2, no blur. */
    public static final PhotometricRecipe INSTDISC = new PhotometricRecipe("instdisc", 1.0, new Range(0.6, 1.4), new Range(0.6, 1.4),
            new Range(0.6, 1.4), 0.4, 0.2, 0, 0, 0, 0, 0);

    public PhotometricRecipe {
        java.util.Objects.requireNonNull(brightness, "brightness");
        java.util.Objects.requireNonNull(contrast, "contrast");
        java.util.Objects.requireNonNull(saturation, "saturation");
        if (!(hue >= 0 && hue <= 0.5)) throw new IllegalArgumentException("photometric recipe " + name + ": hue must be in [0, 0.5], got " + hue);
        for (double p : new double[] {jitter, grey, blurFirst, blurSecond, blurLocal, solarizeFirst, solarizeSecond}) {
            if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("photometric recipe " + name + ": probabilities must be in [0, 1], got " + p);
        }
    }
}
