package dev.dinoj.dino.data;

/**
 * An RGB image as planar float32 in [0, 1]: channel c, row y, column x at data[(c * height + y) * width + x].
 */
public final class Image {
    public final int width, height;
    public final float[] data;

    public Image(int width, int height, float[] data) {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        if (data.length != 3 * width * height) {
            throw new IllegalArgumentException("image data has " + data.length + " values, expected 3 x " + width + " x " + height);
        }
        this.width = width;
        this.height = height;
        this.data = data;
    }

    public static Image blank(int width, int height) {
        return new Image(width, height, new float[3 * width * height]);
    }

    public float get(int c, int y, int x) {
        return data[(c * height + y) * width + x];
    }

    /** Whether the three planes are identical, as for a picture decoded from a grey (one-channel) file. */
    public boolean isGrey() {
        int p = width * height;
        for (int i = 0; i < p; i++) {
            if (Float.floatToRawIntBits(data[i]) != Float.floatToRawIntBits(data[p + i])
                    || Float.floatToRawIntBits(data[i]) != Float.floatToRawIntBits(data[2 * p + i])) return false;
        }
        return true;
    }

    public Image copy() {
        return new Image(width, height, data.clone());
    }

    /** From packed 0xRRGGBB pixels, row-major. */
    public static Image fromRgb(int[] rgb, int width, int height) {
        float[] d = new float[3 * width * height];
        int plane = width * height;
        for (int i = 0; i < plane; i++) {
            int p = rgb[i];
            d[i] = ((p >> 16) & 0xFF) / 255f;
            d[plane + i] = ((p >> 8) & 0xFF) / 255f;
            d[2 * plane + i] = (p & 0xFF) / 255f;
        }
        return new Image(width, height, d);
    }

    /** Packed 0xRRGGBB pixels, rounded and clamped. */
    public int[] toRgb() {
        int plane = width * height;
        int[] out = new int[plane];
        for (int i = 0; i < plane; i++) {
            out[i] = (byte8(data[i]) << 16) | (byte8(data[plane + i]) << 8) | byte8(data[2 * plane + i]);
        }
        return out;
    }

    private static int byte8(float v) {
        return Math.max(0, Math.min(255, Math.round(v * 255f)));
    }
}
