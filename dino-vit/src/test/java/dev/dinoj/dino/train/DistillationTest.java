package dev.dinoj.dino.train;

import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** --distill-from: a small student against a bigger run's frozen teacher; the teacher never moves, the student is the result. */
class DistillationTest {
    @TempDir
    Path dir;

    @Test
    void aSmallerStudentLearnsFromAFrozenTeacherAndIsTheResult() throws IOException {
        Path source = dir.resolve("big");
        TrainConfig big = TrainingTest.tiny();
        big.width = 32;
        big.epochs = 1;
        try (DinoTrainer t = new DinoTrainer(big, source, TrainingTest.quiet())) {
            t.run();
        }
        SafeTensors.Contents src = SafeTensors.read(source.resolve(DinoTrainer.CHECKPOINT));
        TrainConfig small = TrainingTest.tiny();
        small.width = 16;
        small.epochs = 2;
        small.distillFrom = source.resolve(DinoTrainer.CHECKPOINT).toString();
        Path a = dir.resolve("a"), b = dir.resolve("b");
        try (DinoTrainer t = new DinoTrainer(small, a, TrainingTest.quiet())) {
            assertThat(t.evaluated()).isSameAs(t.student());
            assertThat(t.teacher().backbone().embedDim()).isEqualTo(32);
            assertThat(t.student().backbone().embedDim()).isEqualTo(16);
            assertThat(Double.isFinite(t.run().finalLoss)).isTrue();
        }
        try (DinoTrainer t = new DinoTrainer(small, b, TrainingTest.quiet())) {
            t.run(1);
        }
        try (DinoTrainer t = DinoTrainer.resume(b, TrainingTest.quiet())) {
            t.run();
        }
        SafeTensors.Contents ca = SafeTensors.read(a.resolve(DinoTrainer.CHECKPOINT)), cb = SafeTensors.read(b.resolve(DinoTrainer.CHECKPOINT));
        // the teacher is the source's teacher, bit for bit, after training
        for (Map.Entry<String, Tensor> e : src.tensors().entrySet()) {
            if (!e.getKey().startsWith("teacher.") || e.getKey().contains("running_") || e.getKey().contains("num_batches")) continue;
            assertThat(TrainingTest.bits(ca.tensors().get(e.getKey()).toFloatArray())).as(e.getKey()).containsExactly(TrainingTest.bits(e.getValue().toFloatArray()));
        }
        TrainingTest.assertSameFloatBits(ca, cb);
        // the result files hold the student: the backbone file and what knn/linear read from the checkpoint
        assertThat(dev.dinoj.dino.BackboneLoader.load(a.resolve(DinoTrainer.TEACHER_BACKBONE), 0, null).embedDim()).isEqualTo(16);
        assertThat(dev.dinoj.dino.BackboneLoader.load(a.resolve(DinoTrainer.CHECKPOINT), 0, null).embedDim()).isEqualTo(16);

        TrainConfig wrongWidth = TrainingTest.tiny();
        wrongWidth.outDim = 32;
        wrongWidth.distillFrom = small.distillFrom;
        assertThatThrownBy(() -> new DinoTrainer(wrongWidth, dir.resolve("w"), TrainingTest.quiet())).hasMessageContaining("--out-dim is 32");
        TrainConfig wrongKind = TrainingTest.tiny();
        wrongKind.method = "simdino";
        wrongKind.distillFrom = small.distillFrom;
        assertThatThrownBy(() -> new DinoTrainer(wrongKind, dir.resolve("k"), TrainingTest.quiet())).hasMessageContaining("a method of the teacher's kind");
        TrainConfig missing = TrainingTest.tiny();
        missing.distillFrom = dir.resolve("nope.safetensors").toString();
        assertThatThrownBy(() -> new DinoTrainer(missing, dir.resolve("m"), TrainingTest.quiet())).hasMessageContaining("--distill-from").hasMessageContaining("no such file");
    }
}
