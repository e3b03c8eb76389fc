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
        // top-1 is a fraction of the 24 held-out images: at most two borderline images may change their vote
        assertThat(onGpu.knnFinal.top1).isCloseTo(onCpu.knnFinal.top1, offset(2.0 / 24 + 1e-9));

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

    /** DINOv2 (masks, iBOT), SimDINO (the coding rate's Cholesky on cuSOLVER) and SimDINOv2 follow the CPU's losses on the GPU. */
    @Test
    void everyMethodsLossesFollowTheCpuOnTheGpu() throws IOException {
        Device cuda = cudaOrSkip();
        for (String method : List.of("dinov2", "simdino", "simdinov2")) {
            TrainConfig c = TrainingTest.tiny();
            c.method = method;
            c.patchSize = 4;
            c.epochs = 1;
            c.withMethodDefaults(java.util.Set.of());
            Path cpuDir = dir.resolve(method + "-cpu"), gpuDir = dir.resolve(method + "-gpu");
            try (DinoTrainer t = new DinoTrainer(c, cpuDir, TrainingTest.quiet(), Device.CPU)) {
                t.run();
            }
            try (DinoTrainer t = new DinoTrainer(c, gpuDir, TrainingTest.quiet(), cuda)) {
                t.run();
            }
            List<Double> cpuLoss = stepLosses(cpuDir), gpuLoss = stepLosses(gpuDir);
            assertThat(gpuLoss).as(method).hasSameSizeAs(cpuLoss).hasSizeGreaterThanOrEqualTo(3);
            for (int i = 0; i < cpuLoss.size(); i++) {
                assertThat(gpuLoss.get(i)).as("%s: loss at iteration %d", method, i).isCloseTo(cpuLoss.get(i), offset(2e-3 * (1 + i) * (1 + Math.abs(cpuLoss.get(i)))));
            }
        }
    }

    @Test
    void aCpuCheckpointResumesOnTheGpu() throws IOException {
        Device cuda = cudaOrSkip();
        TrainConfig c = TrainingTest.tiny();
        c.epochs = 2;
        Path run = dir.resolve("run"), onCpu = dir.resolve("cpu");
        try (DinoTrainer t = new DinoTrainer(c, run, TrainingTest.quiet(), Device.CPU)) {
            t.run(1);
        }
        copyFolder(run, onCpu);
        DinoTrainer.Result gpu, cpu;
        try (DinoTrainer t = DinoTrainer.resume(run, TrainingTest.quiet(), cuda)) {
            assertThat(t.teacher().device()).isEqualTo(cuda);
            gpu = t.run();
        }
        try (DinoTrainer t = DinoTrainer.resume(onCpu, TrainingTest.quiet(), Device.CPU)) {
            cpu = t.run();
        }
        // the GPU continues the CPU's state: its second epoch is the CPU's second epoch within float tolerance
        assertThat(gpu.epochs).isEqualTo(2);
        List<Double> gpuLoss = stepLosses(run), cpuLoss = stepLosses(onCpu);
        assertThat(gpuLoss).hasSameSizeAs(cpuLoss).hasSizeGreaterThan(3);
        for (int i = 0; i < cpuLoss.size(); i++) {
            assertThat(gpuLoss.get(i)).as("loss at iteration %d", i).isCloseTo(cpuLoss.get(i), offset(2e-3 * (1 + i)));
        }
        assertThat(gpu.finalLoss).isCloseTo(cpu.finalLoss, offset(2e-2));
        assertThat(SafeTensors.read(run.resolve(DinoTrainer.CHECKPOINT)).tensors().keySet())
                .containsExactlyElementsOf(SafeTensors.read(onCpu.resolve(DinoTrainer.CHECKPOINT)).tensors().keySet());
    }

    private static void copyFolder(Path from, Path to) throws IOException {
        try (java.util.stream.Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
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
