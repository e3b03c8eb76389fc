package dev.dinoj.dino.train;

import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --method dinov2} on the trainer: its defaults, heads, iBOT term, learning-rate groups and an exact resume. */
class Dinov2TrainingTest {
    @TempDir
    Path dir;

    private static TrainConfig tinyDinov2() {
        TrainConfig c = TrainingTest.tiny();
        c.method = "dinov2";
        c.patchSize = 4; // a 4 x 4 grid of patches at 16 px, room for blocks of masks
        c.registers = 1;
        return c.withMethodDefaults(Set.of("--registers"));
    }

    @Test
    void theMethodsDefaultsAreDinov2sUnlessGiven() {
        TrainConfig c = tinyDinov2();
        assertThat(c.centering).isEqualTo("sinkhorn");
        assertThat(c.koleoWeight).isEqualTo(0.1);
        assertThat(c.layerScale).isEqualTo(1e-5);
        assertThat(c.layerDecay).isEqualTo(0.9);
        assertThat(c.patchEmbedLrMult).isEqualTo(0.2);
        TrainConfig given = TrainingTest.tiny();
        given.method = "dinov2";
        given.centering = "ema";
        assertThat(given.withMethodDefaults(Set.of("--centering")).centering).isEqualTo("ema");
        TrainConfig dino = TrainingTest.tiny().withMethodDefaults(Set.of());
        assertThat(dino.koleoWeight).isZero();
        assertThat(dino.layerDecay).isEqualTo(1.0);
    }

    @Test
    void layerDecayScalesTheLearningRateByDepth() {
        TrainConfig c = tinyDinov2();
        int depth = 3;
        assertThat(DinoTrainer.lrMultiplier(c, "head.mlp.0.weight", depth)).isEqualTo(1.0);
        assertThat(DinoTrainer.lrMultiplier(c, "backbone.norm.weight", depth)).isEqualTo(1.0);
        assertThat(DinoTrainer.lrMultiplier(c, "backbone.blocks.2.attn.qkv.weight", depth)).isCloseTo(0.9, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(DinoTrainer.lrMultiplier(c, "backbone.blocks.0.mlp.fc1.weight", depth)).isCloseTo(0.9 * 0.9 * 0.9, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(DinoTrainer.lrMultiplier(c, "backbone.cls_token", depth)).isCloseTo(Math.pow(0.9, 4), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(DinoTrainer.lrMultiplier(c, "backbone.patch_embed.proj.weight", depth)).isCloseTo(Math.pow(0.9, 4) * 0.2, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(DinoTrainer.lrMultiplier(TrainingTest.tiny(), "backbone.blocks.0.mlp.fc1.weight", depth)).isEqualTo(1.0);
    }

    @Test
    void aDinov2RunTrainsBothTermsAndResumesBitForBit() throws IOException {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        try (DinoTrainer t = new DinoTrainer(tinyDinov2(), a, TrainingTest.quiet())) {
            DinoTrainer.Result r = t.run();
            assertThat(Double.isFinite(r.finalLoss)).isTrue();
            assertThat(r.health).isNotNull();
            assertThat((double) t.student().parameterCount()).isCloseTo(tinyDinov2().parameterEstimate(),
                    org.assertj.core.data.Percentage.withPercentage(5));
        }
        try (DinoTrainer t = new DinoTrainer(tinyDinov2(), b, TrainingTest.quiet())) {
            t.run(2);
        }
        try (DinoTrainer t = DinoTrainer.resume(b, TrainingTest.quiet())) {
            t.run();
        }
        SafeTensors.Contents ca = SafeTensors.read(a.resolve(DinoTrainer.CHECKPOINT)), cb = SafeTensors.read(b.resolve(DinoTrainer.CHECKPOINT));
        assertThat(ca.tensors()).containsKeys("student.ibot_head.last_layer.weight_v", "teacher.ibot_head.mlp.0.weight", "student.backbone.mask_token",
                "student.backbone.blocks.0.ls1.gamma", "student.backbone.register_tokens", "ibot_loss.center", "dino_loss.center");
        assertThat(cb.tensors().keySet()).containsExactlyElementsOf(ca.tensors().keySet());
        TrainingTest.assertSameFloatBits(ca, cb);
        // the mask token learned (only masked patches reach it), and the iBOT term was logged with its masked patches
        float[] maskToken = ca.tensors().get("student.backbone.mask_token").toFloatArray();
        boolean moved = false;
        for (float v : maskToken) moved |= v != 0f;
        assertThat(moved).isTrue();
        List<com.google.gson.JsonObject> steps = MetricsLog.read(a.resolve(DinoTrainer.METRICS));
        double patches = steps.stream().filter(o -> o.get("type").getAsString().equals("step")).mapToDouble(o -> o.get("masked_patches").getAsDouble()).sum();
        assertThat(patches).isPositive();
        assertThat(steps.stream().filter(o -> o.get("type").getAsString().equals("step")).allMatch(o -> o.has("ibot"))).isTrue();
    }

    @Test
    void aHighResolutionLastEpochMasksTheLargerGridAndResumesBitForBitAcrossThePhaseSwitch() throws IOException {
        TrainConfig c = tinyDinov2();
        c.highResEpochs = 1;
        c.highResSize = 24; // a 6 x 6 grid after the 4 x 4 of the 16-px crops
        c.validate();
        assertThat(c.globalSize(1)).isEqualTo(16);
        assertThat(c.globalSize(2)).isEqualTo(24);
        Path a = dir.resolve("hra"), b = dir.resolve("hrb");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (DinoTrainer t = new DinoTrainer(c, a, new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8))) {
            assertThat(Double.isFinite(t.run().finalLoss)).isTrue();
        }
        assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("epoch 3/3: high-resolution phase, 24 px global crops")
                .doesNotContain("epoch 2/3: high-resolution");
        try (DinoTrainer t = new DinoTrainer(c, b, TrainingTest.quiet())) {
            t.run(2);
        }
        try (DinoTrainer t = DinoTrainer.resume(b, TrainingTest.quiet())) {
            t.run();
        }
        SafeTensors.Contents ca = SafeTensors.read(a.resolve(DinoTrainer.CHECKPOINT)), cb = SafeTensors.read(b.resolve(DinoTrainer.CHECKPOINT));
        TrainingTest.assertSameFloatBits(ca, cb);
        // the parameters keep the base grid (16 patches + cls): the phase interpolates the position embedding, it does not resize it
        assertThat(ca.tensors().get("student.backbone.pos_embed").shape().toArray()).containsExactly(1, 17, 24);
        // the last epoch masked the 36-patch grid: about 36/16 times the masked patches of the first two epochs' steps
        List<com.google.gson.JsonObject> steps = MetricsLog.read(a.resolve(DinoTrainer.METRICS)).stream()
                .filter(o -> o.get("type").getAsString().equals("step")).toList();
        double low = steps.stream().filter(o -> o.get("epoch").getAsInt() < 3).mapToDouble(o -> o.get("masked_patches").getAsDouble()).average().orElseThrow();
        double high = steps.stream().filter(o -> o.get("epoch").getAsInt() == 3).mapToDouble(o -> o.get("masked_patches").getAsDouble()).average().orElseThrow();
        assertThat(high).isGreaterThan(1.5 * low);
    }

    @Test
    void theHighResolutionPhaseRefusesSizesThatCannotWork() {
        TrainConfig c = tinyDinov2();
        c.highResEpochs = 1;
        c.highResSize = 16;
        assertThat(org.assertj.core.api.Assertions.catchThrowable(c::validate)).hasMessageContaining("--high-res-size must be a multiple of --patch 4 larger than --global-size 16");
        c.highResSize = 26;
        assertThat(org.assertj.core.api.Assertions.catchThrowable(c::validate)).hasMessageContaining("--high-res-size");
        c.highResSize = 24;
        c.highResEpochs = 3;
        assertThat(org.assertj.core.api.Assertions.catchThrowable(c::validate)).hasMessageContaining("--high-res-epochs 3 must be fewer than --epochs 3");
        c.highResEpochs = 0;
        assertThat(org.assertj.core.api.Assertions.catchThrowable(c::validate)).hasMessageContaining("--high-res-size 24 is given without --high-res-epochs");
    }

    @Test
    void aSimDinov2RunAlignsMaskedPatchesOnTheSharedHeadAndResumesBitForBit() throws IOException {
        TrainConfig c = TrainingTest.tiny();
        c.method = "simdinov2";
        c.patchSize = 4;
        c.withMethodDefaults(Set.of());
        assertThat(c.ibotSeparateHead).isFalse();
        assertThat(c.layerScale).isEqualTo(0.1);
        assertThat(c.codingRateEps).isCloseTo(Math.sqrt(0.05), org.assertj.core.data.Offset.offset(1e-12));
        Path a = dir.resolve("s2a"), b = dir.resolve("s2b");
        try (DinoTrainer t = new DinoTrainer(c, a, TrainingTest.quiet())) {
            DinoTrainer.Result r = t.run();
            assertThat(Double.isFinite(r.finalLoss)).isTrue();
            assertThat(r.health).isNull();
            assertThat((double) t.student().parameterCount()).isCloseTo(c.parameterEstimate(), org.assertj.core.data.Percentage.withPercentage(5));
        }
        try (DinoTrainer t = new DinoTrainer(c, b, TrainingTest.quiet())) {
            t.run(2);
        }
        try (DinoTrainer t = DinoTrainer.resume(b, TrainingTest.quiet())) {
            t.run();
        }
        SafeTensors.Contents ca = SafeTensors.read(a.resolve(DinoTrainer.CHECKPOINT)), cb = SafeTensors.read(b.resolve(DinoTrainer.CHECKPOINT));
        assertThat(ca.tensors()).containsKeys("student.backbone.mask_token", "student.head.mlp.4.weight").doesNotContainKeys("ibot_loss.center",
                "dino_loss.center", "student.ibot_head.mlp.0.weight");
        TrainingTest.assertSameFloatBits(ca, cb);
        List<com.google.gson.JsonObject> steps = MetricsLog.read(a.resolve(DinoTrainer.METRICS));
        assertThat(steps.stream().filter(o -> o.get("type").getAsString().equals("step"))
                .allMatch(o -> o.has("ibot") && o.has("coding_rate") && o.get("ibot").getAsDouble() >= 0)).isTrue();
    }
}
