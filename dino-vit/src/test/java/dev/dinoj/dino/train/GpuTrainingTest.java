package dev.dinoj.dino.train;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.DeviceUnavailableException;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.io.SafeTensors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * DINO training on the GPU follows the CPU: the same configuration, seed and batches give the same
 * loss trajectory and weights within float tolerance (cuBLAS and the CPU GEMM sum in different
 * orders; drop-path masks are bit-identical, both devices using the same Philox stream). Runs
 * through the whole trainer: data upload, scoped steps, EMA, centre, checkpoints and k-NN on the device.
 */
@Tag("gpu")
class GpuTrainingTest {
    @TempDir
    Path dir;

    /** The first GPU, or the test is skipped with the reason none works. */
    static Device cudaOrSkip() {
        String why = null;
        try {
            return Device.cuda();
        } catch (DeviceUnavailableException e) {
            why = e.getMessage();
        }
        assumeTrue(false, "skipped, no usable GPU: " + why);
        return null;
    }

    @Test
    void gpuLossTrajectoryAndWeightsMatchTheCpu() throws IOException {
        Device cuda = cudaOrSkip();
        Path cpuDir = dir.resolve("cpu"), gpuDir = dir.resolve("gpu");
        DinoTrainer.Result onCpu, onGpu;
        try (DinoTrainer t = new DinoTrainer(withKnn(), cpuDir, TrainingTest.quiet(), Device.CPU)) {
            onCpu = t.run();
        }
        try (DinoTrainer t = new DinoTrainer(withKnn(), gpuDir, TrainingTest.quiet(), cuda)) {
            assertThat(t.student().device()).isEqualTo(cuda);
            onGpu = t.run();
        }
        List<Double> cpuLoss = stepLosses(cpuDir), gpuLoss = stepLosses(gpuDir);
        assertThat(gpuLoss).hasSameSizeAs(cpuLoss).hasSizeGreaterThanOrEqualTo(6);
        for (int i = 0; i < cpuLoss.size(); i++) {
            assertThat(gpuLoss.get(i)).as("loss at iteration %d", i).isCloseTo(cpuLoss.get(i), offset(2e-3 * (1 + i)));
        }
        assertThat(onGpu.knnFinal.top1).isCloseTo(onCpu.knnFinal.top1, offset(10.0));

        Map<String, Tensor> a = SafeTensors.read(cpuDir.resolve(DinoTrainer.CHECKPOINT)).tensors();
        Map<String, Tensor> b = SafeTensors.read(gpuDir.resolve(DinoTrainer.CHECKPOINT)).tensors();
        assertThat(b.keySet()).containsExactlyElementsOf(a.keySet());
        for (String key : List.of("teacher.backbone.pos_embed", "student.backbone.blocks.0.attn.qkv.weight", "dino_loss.center",
                "optimizer.backbone.cls_token.exp_avg_sq")) {
            float[] x = a.get(key).toFloatArray(), y = b.get(key).toFloatArray();
            double maxDiff = 0, maxAbs = 1e-6;
            for (int i = 0; i < x.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
                maxAbs = Math.max(maxAbs, Math.abs(x[i]));
            }
            assertThat(maxDiff / maxAbs).as(key + " relative to its largest value").isLessThan(2e-2);
        }
    }

    @Test
    void aCpuCheckpointResumesOnTheGpu() throws IOException {
        Device cuda = cudaOrSkip();
        TrainConfig c = TrainingTest.tiny();
        c.epochs = 2;
        Path run = dir.resolve("run");
        try (DinoTrainer t = new DinoTrainer(c, run, TrainingTest.quiet(), Device.CPU)) {
            t.run(1);
        }
        try (DinoTrainer t = DinoTrainer.resume(run, TrainingTest.quiet(), cuda)) {
            assertThat(t.teacher().device()).isEqualTo(cuda);
            DinoTrainer.Result r = t.run();
            assertThat(r.epochs).isEqualTo(2);
            assertThat(r.finalLoss).isFinite();
        }
        assertThat(Files.size(run.resolve(DinoTrainer.CHECKPOINT))).isPositive();
    }

    private static TrainConfig withKnn() {
        TrainConfig c = TrainingTest.tiny();
        c.epochs = 2;
        c.evalImages = 24;
        c.knnEvery = 1;
        return c;
    }

    private static List<Double> stepLosses(Path run) throws IOException {
        List<Double> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(DinoTrainer.METRICS))) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (o.get("type").getAsString().equals("step")) out.add(o.get("loss").getAsDouble());
        }
        return out;
    }
}
