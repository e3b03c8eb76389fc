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
        for (String m : List.of("byol", "simsiam", "mocov3", "simclr", "barlowtwins")) {
            TrainConfig c = tiny(m);
            c.epochs = 1;
            c.warmupEpochs = 0;
            assertThat(c.localCrops).isZero();
            assertThat(c.globalScale).containsExactly(0.08, 1.0);
            Path out = dir.resolve(m);
            try (DinoTrainer t = new DinoTrainer(c, out, quiet())) {
                boolean momentum = m.equals("byol") || m.equals("mocov3");
                assertThat(t.teacher() != null).as(m).isEqualTo(momentum);
                assertThat(t.student().predictor() != null).as(m).isEqualTo(m.equals("byol") || m.equals("simsiam") || m.equals("mocov3"));
                assertThat(t.evaluated()).as(m).isSameAs(t.student());
                DinoTrainer.Result r = t.run();
                assertThat(Double.isFinite(r.finalLoss)).as(m).isTrue();
                assertThat(r.health).isNull();
            }
            SafeTensors.Contents ck = SafeTensors.read(out.resolve(DinoTrainer.CHECKPOINT));
            assertThat(ck.metadata()).containsEntry("result_backbone", "student");
            assertThat(ck.tensors().keySet().stream().anyMatch(k -> k.startsWith("teacher."))).as(m).isEqualTo(m.equals("byol") || m.equals("mocov3"));
            assertThat(ck.tensors().keySet().stream().anyMatch(k -> k.startsWith("teacher.predictor."))).isFalse();
            // the saved result is the student's backbone
            VisionTransformer saved = BackboneLoader.load(out.resolve(DinoTrainer.TEACHER_BACKBONE), 0, null);
            Tensor a = saved.stateDict().get("cls_token"), b = ck.tensors().get("student.backbone.cls_token");
            assertThat(a.toFloatArray()).as(m).containsExactly(b.toFloatArray());
            assertThat(MetricsLog.read(out.resolve(DinoTrainer.METRICS)).stream().filter(o -> o.get("type").getAsString().equals("step"))
                    .allMatch(o -> o.has("view_cosine"))).as(m).isTrue();
        }
    }

    @Test
    void byolResumesBitForBit() throws IOException {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        try (DinoTrainer t = new DinoTrainer(tiny("byol"), a, quiet())) {
            t.run();
        }
        try (DinoTrainer t = new DinoTrainer(tiny("byol"), b, quiet())) {
            t.run(1);
        }
        try (DinoTrainer t = DinoTrainer.resume(b, quiet())) {
            t.run();
        }
        Map<String, Tensor> ta = SafeTensors.read(a.resolve(DinoTrainer.CHECKPOINT)).tensors(), tb = SafeTensors.read(b.resolve(DinoTrainer.CHECKPOINT)).tensors();
        assertThat(ta).containsKeys("student.predictor.mlp.0.weight", "teacher.head.mlp.0.weight", "optimizer.predictor.mlp.0.weight.exp_avg");
        assertThat(tb.keySet()).containsExactlyElementsOf(ta.keySet());
        for (Map.Entry<String, Tensor> e : ta.entrySet()) {
            assertThat(java.util.Arrays.equals(tb.get(e.getKey()).toFloatArray(), e.getValue().toFloatArray())).as(e.getKey()).isTrue();
        }
    }

    @Test
    void settingsOfOtherMethodsAreRefusedByName() {
        TrainConfig local = tiny("simclr");
        local.localCrops = 2;
        assertThatThrownBy(local::validate).hasMessageContaining("--local-crops must be 0");
        TrainConfig koleo = tiny("byol");
        koleo.koleoWeight = 0.1;
        assertThatThrownBy(koleo::validate).hasMessageContaining("--koleo-weight belongs to the DINO family");
        TrainConfig temperature = tiny("mocov3");
        temperature.temperature = 0;
        assertThatThrownBy(temperature::validate).hasMessageContaining("--temperature");
        assertThat(TrainConfig.Method.SIMSIAM.ignoredOptions()).contains("--momentum-teacher", "--temperature", "--out-dim", "--local-crops");
        assertThat(TrainConfig.Method.MOCOV3.ignoredOptions()).doesNotContain("--momentum-teacher", "--temperature");
    }
}
