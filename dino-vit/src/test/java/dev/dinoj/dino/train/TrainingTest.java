package dev.dinoj.dino.train;

import dev.dinoj.dino.data.Image;
import dev.dinoj.dino.data.ImageDataset;
import dev.dinoj.dino.data.SyntheticShapes;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrainingTest {
    @TempDir
    Path dir;

    static TrainConfig tiny() {
        TrainConfig c = new TrainConfig();
        c.syntheticImages = 48;
        c.syntheticSize = 20;
        c.evalImages = 0;
        c.width = 24;
        c.depth = 1;
        c.heads = 2;
        c.globalSize = 16;
        c.localSize = 8;
        c.localCrops = 2;
        c.outDim = 64;
        c.headHidden = 32;
        c.headBottleneck = 16;
        c.batchSize = 16;
        c.epochs = 3;
        c.warmupEpochs = 1;
        c.warmupTeacherTempEpochs = 1;
        c.workers = 2;
        return c;
    }

    static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream());
    }

    @Test
    void aRunHoldsItsFolderUntilClosedAndReleasesItWhenSetUpFails() throws IOException {
        Path out = dir.resolve("locked");
        try (DinoTrainer first = new DinoTrainer(tiny(), out, quiet())) {
            assertThat(out.resolve(RunFolderLock.FILE)).exists();
            assertThatThrownBy(() -> new DinoTrainer(tiny(), out, quiet())).hasMessageContaining("--out " + out + " is in use by another run");
            first.run(1);
            assertThatThrownBy(() -> DinoTrainer.resume(out, quiet())).hasMessageContaining("is in use by another run");
            assertThatThrownBy(() -> DinoTrainer.replacing(tiny(), out, quiet(), dev.dinoj.tensor.Device.CPU))
                    .hasMessageContaining("is in use by another run");
            assertThat(out.resolve(DinoTrainer.CHECKPOINT)).as("the refused --overwrite deleted nothing").exists();
        }
        try (DinoTrainer again = DinoTrainer.resume(out, quiet())) { // released by close()
            again.run();
        }
        // a resume refused after the folder was locked (not a training checkpoint) gives the folder back
        Path other = dir.resolve("other");
        Files.createDirectories(other);
        SafeTensors.write(other.resolve(DinoTrainer.CHECKPOINT), Map.of("x", Tensor.zeros(2)), Map.of("format", "something else"));
        assertThatThrownBy(() -> DinoTrainer.resume(other, quiet())).hasMessageContaining("not a dinoj DINO training checkpoint");
        try (RunFolderLock lock = RunFolderLock.acquire(other)) {
            assertThat(other.resolve(RunFolderLock.FILE)).exists();
        }
    }

    @Test
    void resumingEqualsUninterruptedTrainingBitForBit() throws IOException {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        try (DinoTrainer t = new DinoTrainer(tiny(), a, quiet())) {
            t.run();
        }
        try (DinoTrainer t = new DinoTrainer(tiny(), b, quiet())) {
            t.run(2); // "interrupted" after epoch 2
        }
        try (DinoTrainer t = DinoTrainer.resume(b, quiet())) {
            t.run();
        }
        SafeTensors.Contents ca = SafeTensors.read(a.resolve(DinoTrainer.CHECKPOINT)), cb = SafeTensors.read(b.resolve(DinoTrainer.CHECKPOINT));
        assertThat(cb.tensors().keySet()).containsExactlyElementsOf(ca.tensors().keySet());
        assertThat(ca.tensors()).containsKeys("student.backbone.cls_token", "teacher.head.last_layer.weight_v",
                "optimizer.backbone.pos_embed.exp_avg", "dino_loss.center");
        for (Map.Entry<String, Tensor> e : ca.tensors().entrySet()) {
            Tensor x = e.getValue(), y = cb.tensors().get(e.getKey());
            if (x.dtype() == dev.dinoj.tensor.DType.INT32) {
                assertThat(y.toIntArray()).as(e.getKey()).containsExactly(x.toIntArray());
            } else {
                assertThat(bits(y.toFloatArray())).as(e.getKey()).containsExactly(bits(x.toFloatArray()));
            }
        }
        assertThat(cb.metadata().get("epoch")).isEqualTo("3");
        // the metrics log of the resumed run has each iteration exactly once
        List<com.google.gson.JsonObject> steps = MetricsLog.read(b.resolve(DinoTrainer.METRICS));
        long stepLines = steps.stream().filter(o -> o.get("type").getAsString().equals("step")).count();
        assertThat(stepLines).isEqualTo(3 * 3);
        assertThat(Files.exists(b.resolve(DinoTrainer.CHART))).isTrue();
        assertThat(Files.exists(b.resolve(DinoTrainer.TEACHER_BACKBONE))).isTrue();
    }

    @Test
    void theSmallImageOptionsResumeBitForBitToo() throws IOException {
        TrainConfig c = tiny();
        c.useBnInHead = true;
        c.posEmbed = "sincos";
        c.centering = "sinkhorn";
        Path a = dir.resolve("opt-a"), b = dir.resolve("opt-b");
        float[] startPos;
        try (DinoTrainer t = new DinoTrainer(c, a, quiet())) {
            startPos = t.student().backbone().namedParameters().get("pos_embed").data().toFloatArray();
            assertThat(t.student().namedParameters()).containsKeys("head.mlp.1.weight", "head.mlp.4.bias", "head.mlp.6.weight");
            assertThat(t.student().stateDict()).containsKeys("head.mlp.1.running_mean", "head.mlp.4.running_var");
            t.run();
        }
        try (DinoTrainer t = new DinoTrainer(c, b, quiet())) {
            t.run(2);
        }
        try (DinoTrainer t = DinoTrainer.resume(b, quiet())) {
            assertThat(t.student().backbone().namedParameters().get("pos_embed").requiresGrad()).isFalse();
            t.run();
        }
        SafeTensors.Contents ca = SafeTensors.read(a.resolve(DinoTrainer.CHECKPOINT)), cb = SafeTensors.read(b.resolve(DinoTrainer.CHECKPOINT));
        assertThat(cb.tensors().keySet()).containsExactlyElementsOf(ca.tensors().keySet());
        assertSameFloatBits(ca, cb);
        // the fixed sine-cosine position embedding is not trained
        assertThat(ca.tensors().get("student.backbone.pos_embed").toFloatArray()).containsExactly(startPos);
        assertThat(ca.tensors().get("teacher.head.mlp.1.running_var").toFloatArray()).isNotEqualTo(Tensor.ones(32).toFloatArray());
    }

    @Test
    void registersAndLayerScaleTrainAndTheBackboneLoadsBackWithThem() throws IOException {
        TrainConfig c = tiny();
        c.registers = 2;
        c.layerScale = 1e-5;
        c.epochs = 1;
        Path out = dir.resolve("dinov2-arch");
        try (DinoTrainer t = new DinoTrainer(c, out, quiet())) {
            assertThat(t.student().vit().firstPatchToken()).isEqualTo(3);
            assertThat(Double.isFinite(t.run().finalLoss)).isTrue();
        }
        SafeTensors.Contents ckpt = SafeTensors.read(out.resolve(DinoTrainer.CHECKPOINT));
        assertThat(ckpt.tensors()).containsKeys("student.backbone.register_tokens", "student.backbone.blocks.0.ls1.gamma",
                "optimizer.backbone.register_tokens.exp_avg");
        // the registers and scales were trained: they moved from their initial values
        float[] gamma = ckpt.tensors().get("student.backbone.blocks.0.ls2.gamma").toFloatArray();
        boolean moved = false;
        for (float v : gamma) moved |= v != 1e-5f;
        assertThat(moved).isTrue();
        dev.dinoj.dino.VisionTransformer vit = dev.dinoj.dino.BackboneLoader.load(out.resolve(DinoTrainer.TEACHER_BACKBONE), 0, null);
        assertThat(vit.config().registers).isEqualTo(2);
        assertThat(vit.config().layerScale).isPositive();
        TrainConfig bad = tiny();
        bad.registers = -1;
        assertThatThrownBy(bad::validate).hasMessageContaining("--registers");
    }

    @Test
    void aConvStemRunResumesBitForBitAndItsBackboneLoadsForEvaluation() throws IOException {
        TrainConfig c = tiny();
        c.stem = "conv";
        c.patchSize = 4;
        c.epochs = 2;
        Path a = dir.resolve("stem-a"), b = dir.resolve("stem-b");
        try (DinoTrainer t = new DinoTrainer(c, a, quiet())) {
            assertThat(t.student().vit().config().stem).isEqualTo(dev.dinoj.dino.VitConfig.Stem.CONV);
            t.run();
        }
        try (DinoTrainer t = new DinoTrainer(c, b, quiet())) {
            t.run(1);
        }
        try (DinoTrainer t = DinoTrainer.resume(b, quiet())) {
            t.run();
        }
        SafeTensors.Contents ca = SafeTensors.read(a.resolve(DinoTrainer.CHECKPOINT)), cb = SafeTensors.read(b.resolve(DinoTrainer.CHECKPOINT));
        assertThat(ca.tensors()).containsKeys("teacher.backbone.patch_embed.stem.1.conv.weight", "teacher.backbone.patch_embed.stem.0.norm.running_mean");
        assertThat(cb.tensors().keySet()).containsExactlyElementsOf(ca.tensors().keySet());
        assertSameFloatBits(ca, cb);
        for (Path f : new Path[] {a.resolve(DinoTrainer.CHECKPOINT), a.resolve(DinoTrainer.TEACHER_BACKBONE)}) {
            dev.dinoj.dino.VisionTransformer vit = dev.dinoj.dino.BackboneLoader.load(f, 0, null);
            assertThat(vit.config().stem).as(f.toString()).isEqualTo(dev.dinoj.dino.VitConfig.Stem.CONV);
            assertThat(bits(vit.stateDict().get("patch_embed.stem.0.norm.running_var").toFloatArray()))
                    .containsExactly(bits(ca.tensors().get("teacher.backbone.patch_embed.stem.0.norm.running_var").toFloatArray()));
        }
    }

    @Test
    void theKoLeoRegulariserChangesTheStepButNotTheLoggedDinoLossOfTheFirstStep() throws IOException {
        TrainConfig plain = tiny(), koleo = tiny();
        plain.epochs = koleo.epochs = 1;
        plain.warmupEpochs = koleo.warmupEpochs = 0;
        plain.warmupTeacherTempEpochs = koleo.warmupTeacherTempEpochs = 0;
        koleo.koleoWeight = 0.5;
        assertThat(TrainConfig.fromJson(koleo.toJson()).koleoWeight).isEqualTo(0.5);
        Path a = dir.resolve("plain"), b = dir.resolve("koleo");
        try (DinoTrainer t = new DinoTrainer(plain, a, quiet())) {
            t.run();
        }
        try (DinoTrainer t = new DinoTrainer(koleo, b, quiet())) {
            t.run();
        }
        List<com.google.gson.JsonObject> sa = MetricsLog.read(a.resolve(DinoTrainer.METRICS)), sb = MetricsLog.read(b.resolve(DinoTrainer.METRICS));
        com.google.gson.JsonObject fa = sa.stream().filter(o -> o.get("type").getAsString().equals("step")).findFirst().orElseThrow();
        com.google.gson.JsonObject fb = sb.stream().filter(o -> o.get("type").getAsString().equals("step")).findFirst().orElseThrow();
        assertThat(fb.get("loss").getAsDouble()).isEqualTo(fa.get("loss").getAsDouble()); // same weights before the first update
        float[] wa = SafeTensors.read(a.resolve(DinoTrainer.CHECKPOINT)).tensors().get("student.backbone.cls_token").toFloatArray();
        float[] wb = SafeTensors.read(b.resolve(DinoTrainer.CHECKPOINT)).tensors().get("student.backbone.cls_token").toFloatArray();
        assertThat(wb).isNotEqualTo(wa);
        TrainConfig bad = tiny();
        bad.koleoWeight = -1;
        assertThatThrownBy(bad::validate).hasMessageContaining("--koleo-weight");
    }

    /** The raw bits of each float: an exact comparison that also tells -0 from +0 and NaN payloads apart. */
    static int[] bits(float[] v) {
        int[] o = new int[v.length];
        for (int i = 0; i < v.length; i++) o[i] = Float.floatToRawIntBits(v[i]);
        return o;
    }

    /** Every float tensor of {@code expected} has the same bits in {@code actual} (the int counters are left out). */
    static void assertSameFloatBits(SafeTensors.Contents expected, SafeTensors.Contents actual) {
        for (Map.Entry<String, Tensor> e : expected.tensors().entrySet()) {
            if (e.getValue().dtype() == dev.dinoj.tensor.DType.INT32) continue;
            assertThat(bits(actual.tensors().get(e.getKey()).toFloatArray())).as(e.getKey()).containsExactly(bits(e.getValue().toFloatArray()));
        }
    }

    /** Good images for the first epoch's worth of reads, then NaN pixels. */
    static final class PoisonedAfter implements ImageDataset {
        private final SyntheticShapes base = new SyntheticShapes(48, 20, 1);
        private final AtomicInteger reads = new AtomicInteger();
        private final int good;

        PoisonedAfter(int good) {
            this.good = good;
        }

        @Override
        public int size() {
            return base.size();
        }

        @Override
        public Image image(int index) {
            Image im = base.image(index);
            if (reads.incrementAndGet() > good) java.util.Arrays.fill(im.data, Float.NaN);
            return im;
        }

        @Override
        public int label(int index) {
            return base.label(index);
        }

        @Override
        public List<String> classes() {
            return base.classes();
        }

        @Override
        public String name(int index) {
            return base.name(index);
        }
    }

    @Test
    void aNonFiniteLossStopsTrainingAndLeavesTheLastCheckpointIntact() throws IOException {
        Path out = dir.resolve("nan");
        TrainConfig c = tiny();
        c.syntheticImages = 48;
        try (DinoTrainer t = new DinoTrainer(c, new PoisonedAfter(48), out, quiet(), Device.CPU)) {
            assertThatThrownBy(t::run).isInstanceOf(TrainingDivergedException.class)
                    .hasMessageContaining("the loss became NaN at epoch 2")
                    .hasMessageContaining("last good checkpoint (end of epoch 1) is intact");
        }
        SafeTensors.Contents ckpt = SafeTensors.read(out.resolve(DinoTrainer.CHECKPOINT));
        assertThat(ckpt.metadata().get("epoch")).isEqualTo("1");
        for (Tensor t : ckpt.tensors().values()) {
            if (t.dtype() == dev.dinoj.tensor.DType.FLOAT32 && t.numel() > 0) assertThat(Float.isFinite(t.abs().max().item())).isTrue();
        }
    }

    @Test
    void resumeWithoutACheckpointAndBadSettingsAreClearErrors() {
        assertThatThrownBy(() -> DinoTrainer.resume(dir.resolve("nothing"), quiet())).hasMessageContaining("no checkpoint");
        TrainConfig c = tiny();
        c.warmupEpochs = 9;
        assertThatThrownBy(() -> new DinoTrainer(c, dir.resolve("x"), quiet())).hasMessageContaining("--warmup-epochs");
        TrainConfig d = tiny();
        d.syntheticImages = 8;
        assertThatThrownBy(() -> new DinoTrainer(d, dir.resolve("y"), quiet())).hasMessageContaining("fewer than one batch of 16");
        TrainConfig e = tiny();
        e.data = dir.resolve("no-such-folder").toString();
        assertThatThrownBy(() -> new DinoTrainer(e, dir.resolve("z"), quiet())).hasMessageContaining("no-such-folder");
    }

    /** A labelled folder of PNGs, one sub-folder per class, rendered from synthetic shapes. */
    static Path labelledFolder(Path root, int n, long seed) throws IOException {
        SyntheticShapes shapes = new SyntheticShapes(n, 20, seed);
        for (int i = 0; i < n; i++) {
            Path f = root.resolve(shapes.classes().get(shapes.label(i))).resolve(String.format("img%03d.png", i));
            Files.createDirectories(f.getParent());
            dev.dinoj.dino.data.ImageFiles.writePng(shapes.image(i), f);
        }
        return root;
    }

    @Test
    void evaluationOnLabelledImagesReportsKnnBesideRawPixelsAndTheTeachersHealth() throws IOException {
        TrainConfig c = tiny();
        c.epochs = 2;
        c.knnEvery = 1;
        c.evalTrain = labelledFolder(dir.resolve("bank"), 40, 11).toString();
        c.evalVal = labelledFolder(dir.resolve("queries"), 24, 12).toString();
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        DinoTrainer.Result r;
        try (DinoTrainer t = new DinoTrainer(c, dir.resolve("run"), new PrintStream(printed, true))) {
            r = t.run();
        }
        String out = printed.toString();
        assertThat(out).contains("k-NN at random initialisation: top-1").contains("k-NN on raw pixels (the baseline to beat)")
                .contains("k-NN after epoch 2").contains("teacher entropy").contains("k=200");
        assertThat(r.knnAtInit).isNotNull();
        assertThat(r.knnPixels.top1).isBetween(0.0, 1.0);
        assertThat(r.health.maxEntropy()).isEqualTo(Math.log(64));
        List<com.google.gson.JsonObject> records = MetricsLog.read(dir.resolve("run").resolve(DinoTrainer.METRICS));
        List<String> types = records.stream().map(o -> o.get("type").getAsString()).collect(java.util.stream.Collectors.toList());
        assertThat(types.subList(0, 2)).containsExactly("knn_pixels", "knn");
        assertThat(types.stream().filter("knn"::equals).count()).isEqualTo(3); // init, epoch 1, epoch 2
        com.google.gson.JsonObject last = records.stream().filter(o -> o.get("type").getAsString().equals("knn")).reduce((a, b) -> b).get();
        assertThat(last.getAsJsonObject("by_k").keySet()).containsExactly("10", "20", "100", "200");
        assertThat(last.get("effective_rank").getAsDouble()).isBetween(1.0, 24.0);
        com.google.gson.JsonObject step = records.stream().filter(o -> o.get("type").getAsString().equals("step")).findFirst().get();
        assertThat(step.get("teacher_entropy").getAsDouble()).isBetween(0.0, Math.log(64) + 1e-6);
        assertThat(step.keySet()).contains("teacher_batch_mean_entropy", "teacher_information", "kl_student_teacher", "center_norm");
    }

    @Test
    void evaluationFlagsAreCheckedBeforeTraining() throws IOException {
        TrainConfig c = tiny();
        c.evalTrain = dir.toString();
        assertThatThrownBy(() -> new DinoTrainer(c, dir.resolve("a"), quiet()).run()).hasMessageContaining("--eval-train and --eval-val");
        TrainConfig d = tiny();
        d.knnEvery = 0;
        assertThatThrownBy(() -> new DinoTrainer(d, dir.resolve("b"), quiet())).hasMessageContaining("--knn-every must be positive");
        // a missing evaluation path is named before the training images are read or anything is written
        TrainConfig f = tiny();
        f.data = dir.resolve("no-such-training-data").toString();
        f.evalTrain = dir.resolve("missing-bank").toString();
        f.evalVal = dir.resolve("missing-queries").toString();
        assertThatThrownBy(() -> new DinoTrainer(f, dir.resolve("d"), quiet())).hasMessageContaining("--eval-train").hasMessageContaining("missing-bank");
        assertThat(dir.resolve("d")).doesNotExist();
        TrainConfig e = tiny();
        e.evalTrain = labelledFolder(dir.resolve("bank"), 12, 1).toString();
        Path unlabelled = dir.resolve("flat");
        Files.createDirectories(unlabelled);
        dev.dinoj.dino.data.ImageFiles.writePng(new SyntheticShapes(1, 20, 0).image(0), unlabelled.resolve("one.png"));
        e.evalVal = unlabelled.toString();
        assertThatThrownBy(() -> new DinoTrainer(e, dir.resolve("c"), quiet())).hasMessageContaining("--eval-val").hasMessageContaining("has no labels");
        assertThat(dir.resolve("c")).doesNotExist();
        TrainConfig same = tiny();
        same.evalTrain = same.evalVal = unlabelled.resolve("one.png").toString();
        assertThatThrownBy(() -> new DinoTrainer(same, dir.resolve("f"), quiet())).hasMessageContaining("--eval-train and --eval-val are the same file");
        TrainConfig g = tiny();
        g.patchSize = 0;
        assertThatThrownBy(() -> new DinoTrainer(g, dir.resolve("e"), quiet())).hasMessageContaining("--patch must be positive");
    }

    /**
     * A checkpoint whose metadata was edited or damaged (each key missing, not a number, out of range;
     * the saved settings truncated, of the wrong types, invalid): resuming either works or fails with
     * one IOException naming the checkpoint, never a NullPointerException, a NumberFormatException or
     * a JSON library's message.
     */
    @Test
    void resumingFromTamperedMetadataFailsWithOneClearError() throws IOException {
        Path run = dir.resolve("tampered-base");
        TrainConfig c = tiny();
        c.epochs = 2;
        try (DinoTrainer t = new DinoTrainer(c, run, quiet())) {
            t.run(1);
        }
        dev.dinoj.tensor.io.SafeTensors.Contents good = dev.dinoj.tensor.io.SafeTensors.read(run.resolve(DinoTrainer.CHECKPOINT));
        String config = good.metadata().get("config");
        java.util.List<java.util.Map<String, String>> variants = new java.util.ArrayList<>();
        for (String key : good.metadata().keySet()) {
            for (String value : new String[] {null, "abc", "", "-1", "99999999999", "1:2:3", "{"}) {
                java.util.Map<String, String> m = new java.util.LinkedHashMap<>(good.metadata());
                if (value == null) m.remove(key);
                else m.put(key, value);
                variants.add(m);
            }
        }
        for (String bad : new String[] {config.substring(0, config.length() / 2), "[]", "null", "{\"epochs\": \"x\"}", "{\"width\": -5}",
            config.replace("\"globalScale\"", "\"globalScale\": null, \"x\""), "{\"data\": null}", config.replaceFirst("\"lr\": [0-9.eE-]+", "\"lr\": -1")}) {
            java.util.Map<String, String> m = new java.util.LinkedHashMap<>(good.metadata());
            m.put("config", bad);
            variants.add(m);
        }
        int refused = 0;
        for (int i = 0; i < variants.size(); i++) {
            Path copy = dir.resolve("tampered-" + i);
            Files.createDirectories(copy);
            dev.dinoj.tensor.io.SafeTensors.write(copy.resolve(DinoTrainer.CHECKPOINT), good.tensors(), variants.get(i));
            try (DinoTrainer t = DinoTrainer.resume(copy, quiet())) {
                assertThat(t).isNotNull();
            } catch (IOException e) {
                assertThat(e.getMessage()).as("variant %d", i).contains(copy.toString()).doesNotContain("JsonReader").doesNotContain("Exception");
                refused++;
            } catch (RuntimeException e) {
                throw new AssertionError("variant " + i + " " + variants.get(i) + " escaped as " + e, e);
            }
        }
        assertThat(refused).isGreaterThan(variants.size() / 2);
    }

    @Test
    void theParameterEstimateMatchesTheModel() throws IOException {
        for (TrainConfig c : new TrainConfig[] {tiny(), new TrainConfig()}) {
            c.syntheticImages = 64;
            c.evalImages = 0;
            try (DinoTrainer t = new DinoTrainer(c, dir.resolve("estimate-" + c.width), quiet())) {
                assertThat((double) c.parameterEstimate()).isCloseTo(t.student().parameterCount(), org.assertj.core.data.Percentage.withPercentage(5));
            }
        }
    }
}
