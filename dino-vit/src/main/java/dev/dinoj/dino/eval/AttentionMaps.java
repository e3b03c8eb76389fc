package dev.dinoj.dino.eval;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.dino.VisionTransformer;
import dev.dinoj.dino.data.Image;
import dev.dinoj.dino.data.ImageFiles;
import dev.dinoj.dino.data.MultiCropAugmentation;
import dev.dinoj.tensor.Tensor;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The last block's cls-to-patch attention of each head, as the reference's visualize_attention: one
 * heat map per head (min-max scaled, viridis colours, patches enlarged without smoothing) and an overlay
 * of the head-averaged map on the input image, enlarged so that small images stay readable.
 */
public final class AttentionMaps {
    private static final int[][] VIRIDIS = {
        {68, 1, 84}, {72, 40, 120}, {62, 74, 137}, {49, 104, 142}, {38, 130, 142},
        {31, 158, 137}, {53, 183, 121}, {110, 206, 88}, {181, 222, 43}, {253, 231, 37}};

    private AttentionMaps() {}

    /** Writes name-head{h}.png for every head and name-overlay.png into outDir; returns the maps [heads, g, g]. */
    public static Tensor write(VisionTransformer model, Image image, Path outDir, String name) throws IOException {
        int size = model.config().imageSize, patch = model.config().patchSize, g = size / patch;
        float[] input = MultiCropAugmentation.evalTransform(image, size);
        Tensor attn;
        try (GradMode.Scope ignored = GradMode.disabled()) {
            attn = model.lastSelfAttention(Variable.constant(Tensor.fromArray(input, 1, 3, size, size).to(model.device()))).to(dev.dinoj.tensor.Device.CPU);
        }
        int heads = attn.size(1);
        Tensor maps = attn.select(0, 0).narrow(1, 0, 1).narrow(2, model.firstPatchToken(), g * g).reshape(heads, g, g).contiguous();
        int scale = Math.max(1, 256 / size) * patch;
        float[] mean = new float[g * g];
        for (int h = 0; h < heads; h++) {
            float[] m = maps.select(0, h).toFloatArray();
            for (int i = 0; i < m.length; i++) mean[i] += m[i] / heads;
            ImageFiles.writePng(heatmap(m, g, scale), outDir.resolve(name + "-head" + h + ".png"));
        }
        ImageFiles.writePng(overlay(MultiCropAugmentation.denormalize(input, size), mean, g, scale), outDir.resolve(name + "-overlay.png"));
        return maps;
    }

    private static float[] minMax(float[] m) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float v : m) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        float[] out = new float[m.length];
        for (int i = 0; i < m.length; i++) out[i] = hi > lo ? (m[i] - lo) / (hi - lo) : 0f;
        return out;
    }

    static int viridis(float t) {
        float x = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
        int i = Math.min(VIRIDIS.length - 2, (int) x);
        float f = x - i;
        int r = Math.round(VIRIDIS[i][0] + f * (VIRIDIS[i + 1][0] - VIRIDIS[i][0]));
        int gr = Math.round(VIRIDIS[i][1] + f * (VIRIDIS[i + 1][1] - VIRIDIS[i][1]));
        int b = Math.round(VIRIDIS[i][2] + f * (VIRIDIS[i + 1][2] - VIRIDIS[i][2]));
        return (r << 16) | (gr << 8) | b;
    }

    private static BufferedImage heatmap(float[] m, int g, int scale) {
        float[] n = minMax(m);
        BufferedImage img = new BufferedImage(g * scale, g * scale, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < g * scale; y++) {
            for (int x = 0; x < g * scale; x++) img.setRGB(x, y, viridis(n[(y / scale) * g + x / scale]));
        }
        return img;
    }

    private static BufferedImage overlay(Image image, float[] mean, int g, int scale) {
        int out = g * scale;
        Image shown = dev.dinoj.dino.data.Resampler.resize(image, out, out);
        float[] n = minMax(mean);
        BufferedImage img = new BufferedImage(out, out, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < out; y++) {
            for (int x = 0; x < out; x++) {
                int heat = viridis(n[(y / scale) * g + x / scale]);
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    float base = shown.get(c, y, x) * 255f, h = (heat >> (16 - 8 * c)) & 0xFF;
                    int v = Math.round(0.5f * base + 0.5f * h);
                    rgb |= Math.max(0, Math.min(255, v)) << (16 - 8 * c);
                }
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }
}
