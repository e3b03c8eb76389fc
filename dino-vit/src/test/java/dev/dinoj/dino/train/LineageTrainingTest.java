package dev.dinoj.dino.train;

import dev.dinoj.dino.BackboneLoader;
import dev.dinoj.dino.VisionTransformer;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.dinoj.dino.train.TrainingTest.quiet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** BYOL, SimSiam, MoCo v3, SimCLR and Barlow Twins on the trainer: what each builds, trains, saves and resumes. */
class LineageTrainingTest {
    @TempDir
    Path dir;

    static TrainConfig tiny(String method) {
        TrainConfig c = TrainingTest.tiny();
        c.method = method;
        c.epochs = 2;
        return c.withMethodDefaults(Set.of());
    }

    @Test
    void eachMethodTrainsItsStudentWithTheNetworksOfItsPaper() throws IOException {
        for (String m : List.of("byol", "simsiam", "mocov3", "simclr", "barlowtwins", "swav", "mocov2", "instdisc")) {
            TrainConfig c = tiny(m);
            c.epochs = 1;
            c.warmupEpochs = 0;
            assertThat(c.localCrops).isEqualTo(m.equals("swav") ? 2 : 0);
            assertThat(c.globalScale).containsExactly(m.equals("swav") ? 0.14 : List.of("instdisc", "mocov2", "simsiam").contains(m) ? 0.2 : 0.08, 1.0);
            Path out = dir.resolve(m);
            try (DinoTrainer t = new DinoTrainer(c, out, quiet())) {
                boolean momentum = m.equals("byol") || m.startsWith("mocov");
                assertThat(t.teacher() != null).as(m).isEqualTo(momentum);
                assertThat(t.student().predictor() != null).as(m).isEqualTo(m.equals("byol") || m.equals("simsiam") || m.equals("mocov3"));
                assertThat(t.evaluated()).as(m).isSameAs(t.student());
                DinoTrainer.Result r = t.run();
                assertThat(Double.isFinite(r.finalLoss)).as(m).isTrue();
                assertThat(r.health).isNull();
            }
            SafeTensors.Contents ck = SafeTensors.read(out.resolve(DinoTrainer.CHECKPOINT));
            assertThat(ck.metadata()).containsEntry("result_backbone", "student");
            assertThat(ck.tensors().keySet().stream().anyMatch(k -> k.startsWith("teacher."))).as(m).isEqualTo(m.equals("byol") || m.startsWith("mocov"));
            assertThat(ck.tensors().containsKey("moco.queue")).as(m).isEqualTo(m.equals("mocov2"));
            assertThat(ck.tensors().keySet().stream().anyMatch(k -> k.startsWith("teacher.predictor."))).isFalse();
            // the saved result is the student's backbone
            VisionTransformer saved = BackboneLoader.load(out.resolve(DinoTrainer.TEACHER_BACKBONE), 0, null);
            Tensor a = saved.stateDict().get("cls_token"), b = ck.tensors().get("student.backbone.cls_token");
            assertThat(a.toFloatArray()).as(m).containsExactly(b.toFloatArray());
            assertThat(MetricsLog.read(out.resolve(DinoTrainer.METRICS)).stream().filter(o -> o.get("type").getAsString().equals("step"))
                    .allMatch(o -> o.has("view_cosine"))).as(m).isEqualTo(!m.equals("swav") && !m.equals("mocov2") && !m.equals("instdisc"));
            // SimCLR's projector normalises both layers as its authors' code does; InstDisc's Linear is followed by a batch norm
            if (m.equals("simclr")) assertThat(ck.tensors()).containsKeys("student.head.mlp.1.running_mean", "student.head.mlp.4.running_mean");
            if (m.equals("instdisc")) {
                assertThat(ck.tensors()).containsKeys("student.head.mlp.0.weight", "student.head.mlp.1.running_mean").doesNotContainKey("student.head.mlp.0.bias");
            }
        }
    }

    @Test
    void eachMethodAugmentsAsItsPaperAndOldRunsKeepDinosAugmentation() {
        assertThat(tiny("simclr").photometricRecipe()).isSameAs(dev.dinoj.dino.data.PhotometricRecipe.SIMCLR);
        assertThat(tiny("swav").photometricRecipe()).isSameAs(dev.dinoj.dino.data.PhotometricRecipe.SIMCLR);
        assertThat(tiny("simsiam").photometricRecipe()).isSameAs(dev.dinoj.dino.data.PhotometricRecipe.MOCOV2);
        assertThat(tiny("mocov2").photometricRecipe()).isSameAs(dev.dinoj.dino.data.PhotometricRecipe.MOCOV2);
        assertThat(tiny("instdisc").photometricRecipe()).isSameAs(dev.dinoj.dino.data.PhotometricRecipe.INSTDISC);
        for (String m : List.of("byol", "mocov3", "barlowtwins", "dino")) assertThat(tiny(m).photometricRecipe()).as(m).isSameAs(dev.dinoj.dino.data.PhotometricRecipe.BYOL);
        TrainConfig chosen = tiny("simclr");
        chosen.photometric = "byol";
        assertThat(chosen.photometricRecipe()).isSameAs(dev.dinoj.dino.data.PhotometricRecipe.BYOL);
        chosen.photometric = "strong";
        assertThatThrownBy(chosen::validate).hasMessageContaining("--photometric must be auto, byol, simclr, mocov2 or instdisc, got 'strong'");
        // a run saved before these options resumes with what it trained on: DINO's augmentation, SimCLR's projector without batch
        // norms, SwAV without a queue (whatever the case of its --method)
        TrainConfig oldSimclr = TrainConfig.fromJson(savedBeforeThisSession(tiny("simclr")));
        assertThat(oldSimclr.photometricRecipe()).isSameAs(dev.dinoj.dino.data.PhotometricRecipe.BYOL);
        assertThat(TwoViewMethod.projector(oldSimclr, 16, new dev.dinoj.tensor.Generator(1)).stateDict().keySet()).containsExactlyInAnyOrder(
                "mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias");
        TrainConfig newSimclr = TrainConfig.fromJson(tiny("simclr").toJson());
        assertThat(newSimclr.photometricRecipe()).isSameAs(dev.dinoj.dino.data.PhotometricRecipe.SIMCLR);
        assertThat(TwoViewMethod.projector(newSimclr, 16, new dev.dinoj.tensor.Generator(1)).stateDict()).containsKeys("mlp.1.running_mean",
                "mlp.4.running_mean");
        TrainConfig swav = tiny("swav");
        swav.method = "SwAV";
        swav.queueSize = 4096; // what every run saved before held, unread by SwAV
        assertThat(TrainConfig.fromJson(savedBeforeThisSession(swav)).queueSize()).isZero();
        assertThat(tiny("swav").queueSize()).isZero();
        assertThat(tiny("mocov2").queueSize()).isEqualTo(4096);
    }

    /** The settings as a run saved them before --photometric, --queue-start-epoch and SimCLR's batch norms. */
    private static String savedBeforeThisSession(TrainConfig c) {
        String json = c.toJson().replaceAll("\\s*\"(photometric|queueStartEpoch|simclrProjectorBn)\": [^,\\n]*,?", "");
        assertThat(json).doesNotContain("photometric").doesNotContain("queueStartEpoch").doesNotContain("simclrProjectorBn");
        return json;
    }

    @Test
    void instDiscWithoutTheBatchNormIsThePapersLinear() throws IOException {
        TrainConfig c = TrainingTest.tiny();
        c.method = "instdisc";
        c.useBnInHead = false;
        c.withMethodDefaults(Set.of("--use-bn-in-head"));
        assertThat(c.useBnInHead).isFalse();
        try (DinoTrainer t = new DinoTrainer(c, dir.resolve("linear"), quiet())) {
            assertThat(t.student().stateDict().keySet().stream().filter(k -> k.startsWith("head."))).containsExactlyInAnyOrder("head.mlp.0.weight",
                    "head.mlp.0.bias");
        }
        assertThat(tiny("instdisc").useBnInHead).isTrue();
    }

    @Test
    void swavKeepsItsPrototypesOnTheSphereAndFrozenForTheFirstEpoch() throws IOException {
        TrainConfig c = tiny("swav");
        c.epochs = 2;
        c.freezeLastLayer = 1;
        Tensor initial;
        try (DinoTrainer t = new DinoTrainer(c, dir.resolve("init"), quiet())) {
            initial = t.student().stateDict().get("head.prototypes.weight").copy();
        }
        try (DinoTrainer t = new DinoTrainer(c, dir.resolve("s"), quiet())) {
            t.run(1);
            // frozen through epoch 1: still the initial (unit) prototypes, up to the renormalisations' rounding
            assertThat(maxDifference(t.student().stateDict().get("head.prototypes.weight"), initial)).isLessThan(1e-6);
            t.run(2);
            assertThat(maxDifference(t.student().stateDict().get("head.prototypes.weight"), initial)).isGreaterThan(1e-4);
        }
        float[] w = initial.toFloatArray();
        int k = initial.size(1);
        double norm = 0;
        for (int j = 0; j < k; j++) norm += w[j] * w[j];
        assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
    }

    private static double maxDifference(Tensor a, Tensor b) {
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }

    @Test
    void byolAndMocoV2ResumeBitForBit() throws IOException {
        resumesBitForBit("byol", "student.predictor.mlp.0.weight", "teacher.head.mlp.0.weight", "optimizer.predictor.mlp.0.weight.exp_avg");
        resumesBitForBit("mocov2", "moco.queue", "moco.queue_start", "teacher.head.mlp.2.weight");
        resumesBitForBit("instdisc", "instdisc.memory", "student.head.mlp.0.weight");
    }

    @Test
    void swavQueuesTheGlobalProjectionsAndResumesBitForBit() throws IOException {
        // 48 images in batches of 16, 3 steps an epoch: the 32-row queue is full after 2 steps and spreads the codes from the 3rd on
        resumesBitForBit("swav", c -> c.queueSize = 32, "swav.queue", "swav.queue_next");
        Map<String, Tensor> queued = SafeTensors.read(dir.resolve("swav-a").resolve(DinoTrainer.CHECKPOINT)).tensors();
        assertThat(queued.get("swav.queue").dims()).containsExactly(2, 32, 16);
        assertThat(queued.get("swav.queue_next").toIntArray()).containsExactly(0, 32); // 6 batches of 16 through 32 rows
        float[] q = queued.get("swav.queue").toFloatArray();
        for (int row = 0; row < 64; row++) {
            double norm = 0;
            for (int k = 0; k < 16; k++) norm += q[row * 16 + k] * q[row * 16 + k];
            assertThat(norm).as("queued projection %d", row).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        }
        // the queue changes the codes, hence the training: the same run without it ends elsewhere
        Path plain = dir.resolve("swav-plain");
        try (DinoTrainer t = new DinoTrainer(tiny("swav"), plain, quiet())) {
            t.run();
        }
        Map<String, Tensor> without = SafeTensors.read(plain.resolve(DinoTrainer.CHECKPOINT)).tensors();
        assertThat(without).doesNotContainKey("swav.queue");
        assertThat(without.get("student.head.prototypes.weight").toFloatArray()).isNotEqualTo(queued.get("student.head.prototypes.weight").toFloatArray());
        TrainConfig late = tiny("swav");
        late.queueSize = 20;
        assertThatThrownBy(late::validate).hasMessageContaining("--queue-size must be 0 (no queue) or a positive multiple of --batch-size 16");
    }

    private void resumesBitForBit(String method, String... keys) throws IOException {
        resumesBitForBit(method, c -> {}, keys);
    }

    private void resumesBitForBit(String method, java.util.function.Consumer<TrainConfig> settings, String... keys) throws IOException {
        Path a = dir.resolve(method + "-a"), b = dir.resolve(method + "-b");
        TrainConfig config = tiny(method);
        settings.accept(config);
        try (DinoTrainer t = new DinoTrainer(config, a, quiet())) {
            t.run();
        }
        config = tiny(method);
        settings.accept(config);
        try (DinoTrainer t = new DinoTrainer(config, b, quiet())) {
            t.run(1);
        }
        try (DinoTrainer t = DinoTrainer.resume(b, quiet())) {
            t.run();
        }
        Map<String, Tensor> ta = SafeTensors.read(a.resolve(DinoTrainer.CHECKPOINT)).tensors(), tb = SafeTensors.read(b.resolve(DinoTrainer.CHECKPOINT)).tensors();
        assertThat(ta).containsKeys(keys);
        assertThat(tb.keySet()).containsExactlyElementsOf(ta.keySet());
        for (Map.Entry<String, Tensor> e : ta.entrySet()) {
            Tensor x = e.getValue(), y = tb.get(e.getKey());
            boolean same = x.dtype() == dev.dinoj.tensor.DType.INT32 ? java.util.Arrays.equals(x.toIntArray(), y.toIntArray())
                    : java.util.Arrays.equals(x.toFloatArray(), y.toFloatArray());
            assertThat(same).as(method + " " + e.getKey()).isTrue();
        }
        if (method.equals("instdisc")) {
            // every image was seen (each epoch is a permutation): every entry is a normalised mix with its feature
            Tensor memory = ta.get("instdisc.memory");
            float[] mv = memory.toFloatArray();
            int d = memory.size(1);
            assertThat(memory.size(0)).isEqualTo(48);
            for (int row = 0; row < 48; row++) {
                double norm = 0;
                for (int k = 0; k < d; k++) norm += mv[row * d + k] * mv[row * d + k];
                assertThat(norm).as("entry %d", row).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
            }
        }
        if (method.equals("mocov2")) {
            // 48 images in batches of 16, 2 epochs: 6 batches of keys went into the queue, the rest still its random start
            assertThat(ta.get("moco.queue_start").toIntArray()).containsExactly(6 * 16);
            float[] initial = new TwoViewMethod(tiny(method)).state().get("moco.queue").toFloatArray(), trained = ta.get("moco.queue").toFloatArray();
            int d = ta.get("moco.queue").size(1), written = 6 * 16 * d;
            assertThat(java.util.Arrays.equals(java.util.Arrays.copyOfRange(trained, written, trained.length),
                    java.util.Arrays.copyOfRange(initial, written, initial.length))).as("rows past the pointer untouched").isTrue();
            for (int row = 0; row < 6 * 16; row++) {
                double norm = 0;
                boolean changed = false;
                for (int k = 0; k < d; k++) {
                    norm += trained[row * d + k] * trained[row * d + k];
                    changed |= trained[row * d + k] != initial[row * d + k];
                }
                assertThat(changed).as("row %d holds a key", row).isTrue();
                assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
            }
        }
    }

    @Test
    void larsTrainsAndKeepsItsMomentumInTheCheckpoint() throws IOException {
        TrainConfig c = tiny("byol");
        c.optimizer = "lars";
        c.lr = 0.2;
        c.epochs = 1;
        c.warmupEpochs = 0;
        try (DinoTrainer t = new DinoTrainer(c, dir.resolve("lars"), quiet())) {
            assertThat(Double.isFinite(t.run().finalLoss)).isTrue();
        }
        Map<String, Tensor> ck = SafeTensors.read(dir.resolve("lars").resolve(DinoTrainer.CHECKPOINT)).tensors();
        assertThat(ck).containsKeys("optimizer.backbone.cls_token.momentum_buffer", "optimizer.predictor.mlp.0.weight.momentum_buffer");
        assertThat(ck.keySet()).noneMatch(k -> k.endsWith("exp_avg"));
        TrainConfig bad = tiny("byol");
        bad.optimizer = "sgd";
        assertThatThrownBy(bad::validate).hasMessageContaining("--optimizer must be adamw or lars");
    }

    @Test
    void settingsOfOtherMethodsAreRefusedByName() {
        TrainConfig local = tiny("simclr");
        local.localCrops = 2;
        assertThatThrownBy(local::validate).hasMessageContaining("--local-crops must be 0");
        TrainConfig koleo = tiny("swav");
        koleo.koleoWeight = 0.1;
        assertThatThrownBy(koleo::validate).hasMessageContaining("--koleo-weight: --method swav");
        TrainConfig spread = tiny("byol");
        spread.koleoWeight = 0.1;
        spread.validate();
        TrainConfig temperature = tiny("mocov3");
        temperature.temperature = "0";
        assertThatThrownBy(temperature::validate).hasMessageContaining("--temperature");
        assertThat(TrainConfig.Method.SIMSIAM.ignoredOptions()).contains("--momentum-teacher", "--temperature", "--out-dim", "--local-crops");
        assertThat(TrainConfig.Method.MOCOV3.ignoredOptions()).doesNotContain("--momentum-teacher", "--temperature");
    }
}
