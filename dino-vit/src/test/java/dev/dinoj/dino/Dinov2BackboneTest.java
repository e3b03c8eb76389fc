package dev.dinoj.dino;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.Checkpoint;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The DINOv2 architecture (register tokens, LayerScale, mask token): its parameters under the reference's
 * names, a safetensors round trip that infers the architecture back, and its forward against a direct
 * double-precision implementation of the equations from the state dict.
 */
class Dinov2BackboneTest {
    @TempDir
    Path dir;

    private static final int WIDTH = 8, DEPTH = 2, HEADS = 2, PATCH = 4, IMAGE = 8, REGISTERS = 3;

    private static VisionTransformer dinov2(long seed) {
        VitConfig c = new VitConfig(WIDTH, DEPTH, HEADS, PATCH, IMAGE, 2f, 0f).withRegisters(REGISTERS).withLayerScale(0.5f).withMaskToken(true);
        VisionTransformer vit = new VisionTransformer(c, new Generator(seed));
        // O(1) values everywhere (the initialisation's registers of 1e-6 and scales of 0.5 would hide a misplaced term)
        Generator g = new Generator(seed + 1);
        vit.namedParameters().forEach((name, p) -> p.data().copyFrom(Tensor.randn(g, p.dims()).mul(0.5f).add(name.endsWith("norm1.weight")
                || name.endsWith("norm2.weight") || name.equals("norm.weight") ? 1f : 0f)));
        vit.eval();
        return vit;
    }

    @Test
    void parametersCarryTheReferenceNames() {
        Map<String, Tensor> sd = dinov2(1).stateDict();
        assertThat(sd).containsKeys("cls_token", "pos_embed", "register_tokens", "mask_token", "patch_embed.proj.weight", "blocks.0.ls1.gamma",
                "blocks.0.ls2.gamma", "blocks.1.attn.qkv.weight", "blocks.1.mlp.fc2.bias", "norm.weight");
        assertThat(sd.get("register_tokens").dims()).containsExactly(1, REGISTERS, WIDTH);
        assertThat(sd.get("mask_token").dims()).containsExactly(1, WIDTH);
        assertThat(sd.get("blocks.0.ls1.gamma").dims()).containsExactly(WIDTH);
        // without them, the DINO backbone's names are unchanged
        assertThat(new VisionTransformer(new VitConfig(WIDTH, DEPTH, HEADS, PATCH, IMAGE, 2f, 0f), new Generator(1)).stateDict().keySet())
                .noneMatch(k -> k.contains("ls1") || k.contains("register") || k.contains("mask_token"));
    }

    @Test
    void aSavedBackboneLoadsBackWithItsRegistersAndLayerScale() throws IOException {
        VisionTransformer vit = dinov2(2);
        Path file = dir.resolve("dinov2.safetensors");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("num_heads", Integer.toString(HEADS));
        Checkpoint.save(file, vit, meta);
        VisionTransformer loaded = BackboneLoader.load(file, 0, null);
        assertThat(loaded.config().registers).isEqualTo(REGISTERS);
        assertThat(loaded.config().layerScale).isPositive();
        assertThat(loaded.config().maskToken).isTrue();
        assertThat(loaded.firstPatchToken()).isEqualTo(1 + REGISTERS);
        Tensor images = Tensor.randn(new Generator(3), 2, 3, IMAGE, IMAGE);
        try (GradMode.Scope ignored = GradMode.disabled()) {
            assertThat(loaded.forward(Variable.constant(images)).data().toFloatArray())
                    .containsExactly(vit.forward(Variable.constant(images)).data().toFloatArray());
        }
    }

    @Test
    void theForwardMatchesTheEquationsInDouble() {
        VisionTransformer vit = dinov2(4);
        Map<String, Tensor> sd = vit.stateDict();
        Tensor images = Tensor.randn(new Generator(5), 2, 3, IMAGE, IMAGE);
        // masks: image 0 has patches 1 and 2 masked, image 1 none
        Tensor masks = Tensor.fromArray(new float[] {0, 1, 1, 0, 0, 0, 0, 0}, 2, 4);
        for (Tensor m : new Tensor[] {null, masks}) {
            float[] out;
            try (GradMode.Scope ignored = GradMode.disabled()) {
                Variable x = vit.prepareTokens(Variable.constant(images), m);
                out = vit.intermediateLayers(Variable.constant(images), 1).get(0).data().toFloatArray();
                if (m != null) {
                    // the masked forward: run the blocks on the masked tokens by hand through the public pieces
                    out = forwardFromTokens(vit, x);
                }
            }
            double[][][] ref = referenceForward(sd, images.toFloatArray(), m == null ? null : m.toFloatArray(), 2);
            int t = 1 + REGISTERS + 4;
            for (int b = 0; b < 2; b++) {
                for (int i = 0; i < t; i++) {
                    for (int c = 0; c < WIDTH; c++) {
                        assertThat((double) out[(b * t + i) * WIDTH + c]).as("image %d token %d channel %d (masks %s)", b, i, c, m != null)
                                .isCloseTo(ref[b][i][c], within(2e-4));
                    }
                }
            }
        }
        assertThatThrownBy(() -> vit.prepareTokens(Variable.constant(images), Tensor.zeros(2, 5))).hasMessageContaining("[2, 4]");
    }

    /** The blocks and final norm over prepared tokens, through the model's own modules (for the masked case). */
    private static float[] forwardFromTokens(VisionTransformer vit, Variable tokens) {
        dev.dinoj.nn.Module blocks = vit.children().get("blocks");
        Variable x = tokens;
        for (int i = 0; i < DEPTH; i++) x = blocks.children().get(Integer.toString(i)).forward(x);
        return vit.children().get("norm").forward(x).data().toFloatArray();
    }

    /** The DINOv2 equations in double from the state dict: [B][tokens][width] after the final norm. */
    private static double[][][] referenceForward(Map<String, Tensor> sd, float[] img, float[] masks, int batch) {
        int g = IMAGE / PATCH, n = g * g, t = 1 + REGISTERS + n, d = WIDTH, hd = d / HEADS;
        double[] w = d(sd, "patch_embed.proj.weight"), pb = d(sd, "patch_embed.proj.bias"), cls = d(sd, "cls_token"), pos = d(sd, "pos_embed");
        double[] reg = d(sd, "register_tokens"), mask = d(sd, "mask_token");
        double[][][] out = new double[batch][][];
        for (int b = 0; b < batch; b++) {
            double[][] patches = new double[n][d];
            for (int py = 0; py < g; py++) {
                for (int px = 0; px < g; px++) {
                    int p = py * g + px;
                    for (int o = 0; o < d; o++) {
                        double s = pb[o];
                        for (int ch = 0; ch < 3; ch++) {
                            for (int ky = 0; ky < PATCH; ky++) {
                                for (int kx = 0; kx < PATCH; kx++) {
                                    s += w[((o * 3 + ch) * PATCH + ky) * PATCH + kx] * img[((b * 3 + ch) * IMAGE + py * PATCH + ky) * IMAGE + px * PATCH + kx];
                                }
                            }
                        }
                        patches[p][o] = masks != null && masks[b * n + p] != 0 ? mask[o] : s;
                    }
                }
            }
            // [cls + pos0, registers (no position), patches + pos]
            double[][] x = new double[t][d];
            for (int c = 0; c < d; c++) x[0][c] = cls[c] + pos[c];
            for (int r = 0; r < REGISTERS; r++) for (int c = 0; c < d; c++) x[1 + r][c] = reg[r * d + c];
            for (int p = 0; p < n; p++) for (int c = 0; c < d; c++) x[1 + REGISTERS + p][c] = patches[p][c] + pos[(1 + p) * d + c];
            for (int blk = 0; blk < DEPTH; blk++) {
                String pre = "blocks." + blk + ".";
                double[][] h = layerNorm(x, d(sd, pre + "norm1.weight"), d(sd, pre + "norm1.bias"));
                double[][] qkv = linear(h, d(sd, pre + "attn.qkv.weight"), d(sd, pre + "attn.qkv.bias"), 3 * d);
                double[][] attended = new double[t][d];
                for (int head = 0; head < HEADS; head++) {
                    for (int i = 0; i < t; i++) {
                        double[] logits = new double[t];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < t; j++) {
                            double s = 0;
                            for (int e = 0; e < hd; e++) s += qkv[i][head * hd + e] * qkv[j][d + head * hd + e];
                            logits[j] = s / Math.sqrt(hd);
                            max = Math.max(max, logits[j]);
                        }
                        double z = 0;
                        for (int j = 0; j < t; j++) z += logits[j] = Math.exp(logits[j] - max);
                        for (int j = 0; j < t; j++) for (int e = 0; e < hd; e++) attended[i][head * hd + e] += logits[j] / z * qkv[j][2 * d + head * hd + e];
                    }
                }
                double[][] a = linear(attended, d(sd, pre + "attn.proj.weight"), d(sd, pre + "attn.proj.bias"), d);
                double[] ls1 = d(sd, pre + "ls1.gamma"), ls2 = d(sd, pre + "ls2.gamma");
                for (int i = 0; i < t; i++) for (int c = 0; c < d; c++) x[i][c] += ls1[c] * a[i][c];
                double[][] h2 = layerNorm(x, d(sd, pre + "norm2.weight"), d(sd, pre + "norm2.bias"));
                double[] fc1b = d(sd, pre + "mlp.fc1.bias");
                double[][] m = linear(h2, d(sd, pre + "mlp.fc1.weight"), fc1b, fc1b.length);
                for (double[] row : m) for (int c = 0; c < row.length; c++) row[c] = 0.5 * row[c] * (1 + dev.dinoj.autograd.DoubleArray.erf(row[c] / Math.sqrt(2)));
                double[][] m2 = linear(m, d(sd, pre + "mlp.fc2.weight"), d(sd, pre + "mlp.fc2.bias"), d);
                for (int i = 0; i < t; i++) for (int c = 0; c < d; c++) x[i][c] += ls2[c] * m2[i][c];
            }
            out[b] = layerNorm(x, d(sd, "norm.weight"), d(sd, "norm.bias"));
        }
        return out;
    }

    private static double[] d(Map<String, Tensor> sd, String name) {
        Tensor t = sd.get(name);
        if (t == null) throw new AssertionError("no tensor " + name);
        float[] f = t.toFloatArray();
        double[] v = new double[f.length];
        for (int i = 0; i < f.length; i++) v[i] = f[i];
        return v;
    }

    private static double[][] layerNorm(double[][] x, double[] w, double[] b) {
        double[][] y = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double mean = 0, var = 0;
            for (double v : x[i]) mean += v / x[i].length;
            for (double v : x[i]) var += (v - mean) * (v - mean) / x[i].length;
            y[i] = new double[x[i].length];
            for (int c = 0; c < x[i].length; c++) y[i][c] = (x[i][c] - mean) / Math.sqrt(var + 1e-6) * w[c] + b[c];
        }
        return y;
    }

    /** y = x W^T + b with W [out, in] (PyTorch's Linear). */
    private static double[][] linear(double[][] x, double[] w, double[] b, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int k = 0; k < in; k++) s += x[i][k] * w[o * in + k];
                y[i][o] = s;
            }
        }
        return y;
    }
}
