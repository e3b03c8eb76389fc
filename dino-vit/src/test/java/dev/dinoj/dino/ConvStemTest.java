package dev.dinoj.dino;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.dino.train.TrainConfig;
import dev.dinoj.nn.Checkpoint;
import dev.dinoj.nn.ModuleGradCheck;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConvStemTest {
    private final Generator g = new Generator(3);
    @TempDir
    Path dir;

    @Test
    void layersHalveTheSideAndDoubleTheWidthUpToTheEmbeddingWidth() {
        VisionTransformer vit = new VisionTransformer(new VitConfig(24, 1, 2, 8, 16, 4f, 0f, VitConfig.Stem.CONV), g);
        Map<String, Variable> p = vit.namedParameters();
        assertThat(p.get("patch_embed.stem.0.conv.weight").dims()).containsExactly(6, 3, 3, 3);
        assertThat(p.get("patch_embed.stem.1.conv.weight").dims()).containsExactly(12, 6, 3, 3);
        assertThat(p.get("patch_embed.stem.2.conv.weight").dims()).containsExactly(24, 12, 3, 3);
        assertThat(p.get("patch_embed.proj.weight").dims()).containsExactly(24, 24, 1, 1);
        assertThat(p).containsKeys("patch_embed.stem.2.norm.weight", "patch_embed.proj.bias").doesNotContainKey("patch_embed.stem.0.conv.bias");
        assertThat(vit.namedBuffers()).containsKey("patch_embed.stem.0.norm.running_mean");
        assertThat(p.get("pos_embed").dims()).containsExactly(1, 5, 24); // as many tokens as patch 8
        VisionTransformer ln = new VisionTransformer(new VitConfig(24, 1, 2, 4, 16, 4f, 0f, VitConfig.Stem.CONV_LN), g);
        assertThat(ln.namedParameters()).containsKeys("patch_embed.stem.1.norm.weight").doesNotContainKey("patch_embed.stem.2.conv.weight");
        assertThat(ln.namedBuffers()).isEmpty();
        try (GradMode.Scope off = GradMode.disabled()) {
            assertThat(vit.forward(Variable.constant(Tensor.randn(g, 3, 3, 16, 16))).dims()).containsExactly(3, 24);
            assertThat(vit.prepareTokens(Variable.constant(Tensor.randn(g, 2, 3, 8, 8))).dims()).containsExactly(2, 2, 24); // a local crop
        }
    }

    @Test
    void aDeeperStemAddsStrideOneLayersOfTheStageWidthAndKeepsTheTokens() {
        VisionTransformer vit = new VisionTransformer(new VitConfig(24, 1, 2, 8, 16, 4f, 0f, VitConfig.Stem.CONV, 3), g);
        Map<String, Variable> p = vit.namedParameters();
        assertThat(p.get("patch_embed.stem.0.conv.weight").dims()).containsExactly(6, 3, 3, 3);
        assertThat(p.get("patch_embed.stem.0.extra.0.conv.weight").dims()).containsExactly(6, 6, 3, 3);
        assertThat(p.get("patch_embed.stem.0.extra.1.conv.weight").dims()).containsExactly(6, 6, 3, 3);
        assertThat(p.get("patch_embed.stem.2.extra.1.conv.weight").dims()).containsExactly(24, 24, 3, 3);
        assertThat(p).doesNotContainKey("patch_embed.stem.0.extra.2.conv.weight").doesNotContainKey("patch_embed.stem.3.conv.weight");
        assertThat(vit.namedBuffers()).containsKey("patch_embed.stem.1.extra.0.norm.running_var");
        assertThat(new VisionTransformer(new VitConfig(24, 1, 2, 8, 16, 4f, 0f, VitConfig.Stem.CONV), g).namedParameters())
                .doesNotContainKey("patch_embed.stem.0.extra.0.conv.weight"); // depth 1 keeps the names of earlier checkpoints
        try (GradMode.Scope off = GradMode.disabled()) {
            assertThat(vit.prepareTokens(Variable.constant(Tensor.randn(g, 2, 3, 16, 16))).dims()).containsExactly(2, 5, 24);
        }
                ConvStem deep = new ConvStem(3, 8, 4, 2, false, g);
        Tensor x = Tensor.randn(g, 1, 3, 16, 16);
        float[] a, b;
        try (GradMode.Scope off = GradMode.disabled()) {
            a = deep.forward(Variable.constant(x)).data().toFloatArray();
            Tensor y = x.contiguous();
            y.narrow(2, 0, 1).narrow(3, 0, 1).fill(5f);
            b = deep.forward(Variable.constant(y)).data().toFloatArray();
        }
        // (stride-1 layers at 8x8 and 4x4 each reach one cell further: rows and columns 0-2 of the 4x4 grid, where depth 1 changes cell 0 only)
        assertThat(changedTokens(a, b, 8)).containsExactly(0, 1, 2, 4, 5, 6, 8, 9, 10);
        assertThat(vit.config().toString()).contains("stem conv x3 per stage");
    }

    @Test
    void tokensAreRowMajorCellsThatSeeTheirNeighbourhood() {
        ConvStem stem = new ConvStem(3, 8, 4, false, g);
        Tensor x = Tensor.randn(g, 1, 3, 16, 16);
        float[] a, b, c;
        try (GradMode.Scope off = GradMode.disabled()) {
            a = stem.forward(Variable.constant(x)).data().toFloatArray();
            Tensor y = x.contiguous();
            y.narrow(2, 0, 1).narrow(3, 0, 1).fill(5f); // the corner pixel: only the top-left cell's windows reach it
            b = stem.forward(Variable.constant(y)).data().toFloatArray();
            Tensor z = x.contiguous();
            z.narrow(2, 3, 1).narrow(3, 3, 1).fill(5f); // the last pixel of the top-left cell, next to cells 1, 4 and 5
            c = stem.forward(Variable.constant(z)).data().toFloatArray();
        }
        assertThat(changedTokens(a, b, 8)).containsExactly(0);
        assertThat(changedTokens(a, c, 8)).containsExactly(0, 1, 4, 5); // overlapping windows, unlike patchify
    }

    private static java.util.List<Integer> changedTokens(float[] a, float[] b, int d) {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        for (int t = 0; t < a.length / d; t++) {
            for (int k = 0; k < d; k++) {
                if (a[t * d + k] != b[t * d + k]) {
                    out.add(t);
                    break;
                }
            }
        }
        return out;
    }

    @Test
    void gradientsOfTheBackboneWithEitherStemMatchFiniteDifferences() {
        // eps 1e-3: at 1e-2 a perturbation crosses ReLU kinks (the error of a stem weight falls from ~0.05-0.18 at
        // 1e-2 to ~0.004 at 1e-3), below 3e-4 float round-off dominates; a gradient 1.2x off gives > 0.1
        for (VitConfig.Stem s : new VitConfig.Stem[] {VitConfig.Stem.CONV, VitConfig.Stem.CONV_LN}) {
            Generator gg = new Generator(3);
            VisionTransformer vit = new VisionTransformer(new VitConfig(8, 1, 2, 4, 8, 2f, 0f, s), gg);
            new ModuleGradCheck(1e-3, 3e-2, 24).check(vit, vit::forward, Tensor.randn(gg, 2, 3, 8, 8));
        }
        // the deeper stem alone: twice the ReLUs, so more draws put a pre-activation within eps of its kink (errors of
        // 0.05-0.18 on some seeds whatever eps); on this draw none is crossed and the errors are 0.007 (batch norm) and 0.014
        for (boolean batchNorm : new boolean[] {true, false}) {
            Generator gg = new Generator(5);
            ConvStem deep = new ConvStem(3, 8, 4, 2, batchNorm, gg);
            new ModuleGradCheck(3e-4, 3e-2, 24).check(deep, deep::forward, Tensor.randn(gg, 2, 3, 8, 8));
        }
    }

    @Test
    void theLoaderRebuildsEitherStemFromTheWeights() throws IOException {
        for (VitConfig.Stem s : VitConfig.Stem.values()) {
            int stemDepth = s == VitConfig.Stem.PATCH ? 1 : s == VitConfig.Stem.CONV ? 2 : 3;
            VisionTransformer vit = new VisionTransformer(new VitConfig(16, 2, 2, 4, 16, 4f, 0f, s, stemDepth), g);
            Tensor x = Tensor.randn(g, 4, 3, 16, 16);
            try (GradMode.Scope off = GradMode.disabled()) {
                vit.forward(Variable.constant(x)); // batch-norm running statistics move off their start
            }
            vit.eval();
            Path f = dir.resolve(s.option + ".safetensors");
            Checkpoint.save(f, vit, Map.of("num_heads", "2"));
            VisionTransformer back = BackboneLoader.load(f, 0, null);
            assertThat(back.config().stem).isEqualTo(s);
            assertThat(back.config().patchSize).isEqualTo(4);
            assertThat(back.config().stemDepth).isEqualTo(stemDepth);
            try (GradMode.Scope off = GradMode.disabled()) {
                assertThat(back.forward(Variable.constant(x)).data().toFloatArray()).containsExactly(vit.forward(Variable.constant(x)).data().toFloatArray());
            }
        }
    }

    @Test
    void badStemSettingsAreRejectedWithTheOption() {
        assertThatThrownBy(() -> new VitConfig(24, 1, 2, 6, 12, 4f, 0f, VitConfig.Stem.CONV)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> new VitConfig(18, 1, 2, 8, 16, 4f, 0f, VitConfig.Stem.CONV)).hasMessageContaining("divisible by 4");
        TrainConfig c = new TrainConfig();
        c.stem = "convolution";
        assertThatThrownBy(c::validate).hasMessageContaining("--stem must be patch, conv or conv-ln");
        assertThat(TrainConfig.fromJson("{\"width\": 48}").vit().stem).isEqualTo(VitConfig.Stem.PATCH); // checkpoints from before the option
        c.stem = "patch";
        c.stemDepth = 2;
        assertThatThrownBy(c::validate).hasMessageContaining("--stem-depth 2 needs a convolutional stem");
        c.stem = "conv";
        c.stemDepth = 0;
        assertThatThrownBy(c::validate).hasMessageContaining("--stem-depth").hasMessageContaining(">= 1");
        c.stemDepth = 2;
        assertThat(TrainConfig.fromJson(c.toJson()).vit().stem).isEqualTo(VitConfig.Stem.CONV);
        assertThat(TrainConfig.fromJson(c.toJson()).vit().stemDepth).isEqualTo(2);
        assertThat(TrainConfig.fromJson("{\"stem\": \"conv\"}").vit().stemDepth).isEqualTo(1);
    }
}
