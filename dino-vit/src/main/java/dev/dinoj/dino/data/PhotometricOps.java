package dev.dinoj.dino.data;

/**
 * torchvision's photometric transforms on [0, 1] images, in place: brightness, contrast, saturation
 * and hue adjustment (ColorJitter), grayscale (ITU-R 601 luma), solarization (PIL's threshold 128)
 * and Gaussian blur.
 */
public final class PhotometricOps {
    private PhotometricOps() {}

    private static float clamp(float v) {
        return v < 0 ? 0 : (v > 1 ? 1 : v);
    }

    /**
     * 0.299 r + 0.587 g + 0.114 b, written with the weights' sum of 1 taken out so that a grey pixel's
     * luma is its value exactly (0.299f v + 0.587f v + 0.114f v is not v for a quarter of the 8-bit levels).
     */
    private static float luma(float r, float g, float b) {
        return r + 0.587f * (g - r) + 0.114f * (b - r);
    }

    public static void brightness(Image im, float factor) {
        float[] d = im.data;
        for (int i = 0; i < d.length; i++) d[i] = clamp(d[i] * factor);
    }

    /** Blends with the mean luma of the whole image. */
    public static void contrast(Image im, float factor) {
        int p = im.width * im.height;
        float[] d = im.data;
        double mean = 0;
        for (int i = 0; i < p; i++) mean += luma(d[i], d[p + i], d[2 * p + i]);
        float m = (float) (mean / p);
        for (int i = 0; i < d.length; i++) d[i] = clamp(factor * d[i] + (1 - factor) * m);
    }

    /**
     * Blends each pixel with its own luma, l + factor (x - l) as PIL's Image.blend computes it: a grey
     * pixel (x = l) is left exactly as it is.
     */
    public static void saturation(Image im, float factor) {
        int p = im.width * im.height;
        float[] d = im.data;
        for (int i = 0; i < p; i++) {
            float l = luma(d[i], d[p + i], d[2 * p + i]);
            for (int c = 0; c < 3; c++) d[c * p + i] = clamp(l + factor * (d[c * p + i] - l));
        }
    }

    /** Rotates hue by shift (in turns, [-0.5, 0.5]) through HSV. */
    public static void hue(Image im, float shift) {
        int p = im.width * im.height;
        float[] d = im.data;
        for (int i = 0; i < p; i++) {
            float r = d[i], g = d[p + i], b = d[2 * p + i];
            float max = Math.max(r, Math.max(g, b)), min = Math.min(r, Math.min(g, b)), delta = max - min;
            float h;
            if (delta == 0) {
                h = 0;
            } else if (max == r) {
                h = ((g - b) / delta) / 6f;
            } else if (max == g) {
                h = ((b - r) / delta + 2) / 6f;
            } else {
                h = ((r - g) / delta + 4) / 6f;
            }
            h = h + shift;
            h -= (float) Math.floor(h);
            float s = max == 0 ? 0 : delta / max, v = max;
            float h6 = h * 6f;
            int sector = Math.min(5, (int) h6);
            float f = h6 - sector, pp = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
            float nr, ng, nb;
            switch (sector) {
                case 0: nr = v; ng = t; nb = pp; break;
                case 1: nr = q; ng = v; nb = pp; break;
                case 2: nr = pp; ng = v; nb = t; break;
                case 3: nr = pp; ng = q; nb = v; break;
                case 4: nr = t; ng = pp; nb = v; break;
                default: nr = v; ng = pp; nb = q; break;
            }
            d[i] = nr;
            d[p + i] = ng;
            d[2 * p + i] = nb;
        }
    }

    public static void grayscale(Image im) {
        int p = im.width * im.height;
        float[] d = im.data;
        for (int i = 0; i < p; i++) {
            float l = luma(d[i], d[p + i], d[2 * p + i]);
            d[i] = l;
            d[p + i] = l;
            d[2 * p + i] = l;
        }
    }

    /** Inverts every value at or above 128/255, as PIL.ImageOps.solarize(threshold=128). */
    public static void solarize(Image im) {
        float[] d = im.data;
        float threshold = 128f / 255f;
        for (int i = 0; i < d.length; i++) if (d[i] >= threshold) d[i] = 1f - d[i];
    }

    /** Separable Gaussian blur with standard deviation sigma (pixels), edges extended. */
    public static void gaussianBlur(Image im, double sigma) {
        if (!(sigma > 0)) return;
        int radius = Math.max(1, (int) Math.ceil(3 * sigma));
        double[] k = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) {
            k[i + radius] = Math.exp(-0.5 * i * i / (sigma * sigma));
            sum += k[i + radius];
        }
        for (int i = 0; i < k.length; i++) k[i] /= sum;
        int w = im.width, h = im.height;
        float[] d = im.data, tmp = new float[w * h];
        for (int c = 0; c < 3; c++) {
            int base = c * w * h;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    for (int j = -radius; j <= radius; j++) s += k[j + radius] * d[base + y * w + Math.max(0, Math.min(w - 1, x + j))];
                    tmp[y * w + x] = (float) s;
                }
            }
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    for (int j = -radius; j <= radius; j++) s += k[j + radius] * tmp[Math.max(0, Math.min(h - 1, y + j)) * w + x];
                    d[base + y * w + x] = (float) s;
                }
            }
        }
    }

    public static void horizontalFlip(Image im) {
        int w = im.width;
        float[] d = im.data;
        for (int row = 0; row < 3 * im.height; row++) {
            int o = row * w;
            for (int x = 0; x < w / 2; x++) {
                float t = d[o + x];
                d[o + x] = d[o + w - 1 - x];
                d[o + w - 1 - x] = t;
            }
        }
    }
}
