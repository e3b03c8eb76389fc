package dev.dinoj.dino.train;

import dev.dinoj.dino.Backbone;
import dev.dinoj.dino.BackboneLoader;
import dev.dinoj.dino.ResNet;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static dev.dinoj.dino.train.TrainingTest.quiet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** DINO and SimDINO with a ResNet backbone (--arch resnet18): training, resuming bit for bit, the saved backbone, refusals. */
class ResNetTrainingTest {
    @TempDir
    Path dir;

    /** ResNet-18 with the small-image stem on 16-px crops: the smallest run that goes through every stage. */
    static TrainConfig tinyResNet() {
        TrainConfig c = TrainingTest.tiny();
        c.arch = "resnet18";
        c.syntheticImages = 16;
        c.batchSize = 8;
        c.localCrops = 1;
        c.epochs = 2;
        c.headHidden = 16;
        return c;
    }

    private static int[] bits(float[] f) {
        int[] b = new int[f.length];
        for (int i = 0; i < f.length; i++) b[i] = Float.floatToRawIntBits(f[i]);
        return b;
    }

    @Test
    void trainsResumesBitForBitAndSavesALoadableBackbone() throws IOException {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        try (DinoTrainer t = new DinoTrainer(tinyResNet(), a, quiet())) {
            assertThat(t.student().backbone()).isInstanceOf(ResNet.class);
            assertThat(Double.isFinite(t.run().finalLoss)).isTrue();
        }
        try (DinoTrainer t = new DinoTrainer(tinyResNet(), b, quiet())) {
            t.run(1);
        }
        try (DinoTrainer t = DinoTrainer.resume(b, quiet())) {
            t.run();
        }
        SafeTensors.Contents ca = SafeTensors.read(a.resolve(DinoTrainer.CHECKPOINT)), cb = SafeTensors.read(b.resolve(DinoTrainer.CHECKPOINT));
        assertThat(ca.tensors()).containsKeys("student.backbone.layer4.1.bn2.running_var", "teacher.backbone.layer2.0.downsample.0.weight",
                "optimizer.backbone.conv1.weight.exp_avg", "dino_loss.center");
        for (Map.Entry<String, Tensor> e : ca.tensors().entrySet()) { // Arrays.equals: AssertJ's element-wise report is slow on 2M values
            assertThat(java.util.Arrays.equals(bits(cb.tensors().get(e.getKey()).toFloatArray()), bits(e.getValue().toFloatArray())))
                    .as("%s bit for bit", e.getKey()).isTrue();
        }
        // the teacher backbone alone loads back as the same network, at the training resolution
        Backbone loaded = BackboneLoader.loadAny(a.resolve(DinoTrainer.TEACHER_BACKBONE), 0, null);
        assertThat(loaded).isInstanceOf(ResNet.class);
        assertThat(((ResNet) loaded).arch()).isEqualTo(ResNet.Arch.RESNET18);
        assertThat(((ResNet) loaded).smallImages()).isTrue();
        assertThat(loaded.imageSize()).isEqualTo(16);
        assertThat(BackboneLoader.loadAny(a.resolve(DinoTrainer.CHECKPOINT), 0, null).imageSize()).isEqualTo(16);
        assertThatThrownBy(() -> BackboneLoader.load(a.resolve(DinoTrainer.CHECKPOINT), 0, null)).hasMessageContaining("resnet18 backbone; this needs a ViT");
    }

    @Test
    void simDinoTrainsAResNetAndPatchMethodsAndViTSettingsAreRefused() throws IOException {
        TrainConfig s = tinyResNet();
        s.method = "simdino";
        s.epochs = 1;
        s.warmupEpochs = 0;
        try (DinoTrainer t = new DinoTrainer(s, dir.resolve("s"), quiet())) {
            assertThat(Double.isFinite(t.run().finalLoss)).isTrue();
        }
        TrainConfig v2 = tinyResNet();
        v2.method = "dinov2";
        assertThatThrownBy(v2::validate).hasMessageContaining("--method dinov2 masks patch tokens, which a ResNet has not");
        TrainConfig reg = tinyResNet();
        reg.registers = 4;
        assertThatThrownBy(reg::validate).hasMessageContaining("--arch resnet18 is a ResNet");
        TrainConfig unknown = tinyResNet();
        unknown.arch = "resnet101";
        assertThatThrownBy(unknown::validate).hasMessageContaining("resnet18, resnet34, resnet50");
        // torchvision's counts without fc, the small-image stem's 3x3 kernels
        assertThat(tinyResNet().parameterEstimate()).isGreaterThan(11_176_512L - 7_680L);
    }
}
