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

    private static int[] bits(float[] v) {
        int[] o = new int[v.length];
        for (int i = 0; i < v.length; i++) o[i] = Float.floatToRawIntBits(v[i]);
        return o;
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
}
