package dev.dinoj.benchmarks;

import dev.dinoj.dino.data.MultiCropLoader;
import dev.dinoj.dino.train.DinoTrainer;
import dev.dinoj.dino.train.TrainConfig;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.cpu.Gemm;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One full DINO training step on the CPU: ViT-tiny (192 wide, 12 blocks, 3 heads), patch 4, 2 global
 * crops of 32 px and 6 local crops of 16 px, batch 32, head out_dim 4096 (hidden 2048, bottleneck 256):
 * teacher forward on the global crops, student forward on all crops, DINO loss, backward, per-parameter
 * clipping, AdamW, EMA teacher and center update. The images counter reports images per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 20)
@Measurement(iterations = 3, time = 30)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx8g"})
public class DinoStepBenchmark {
    private DinoTrainer trainer;
    private List<Tensor> crops;
    private Path dir;
    private int iteration;

    /** Images per second as a JMH rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Images {
        public double images;

        @Setup(Level.Iteration)
        public void reset() {
            images = 0;
        }
    }

    @Setup
    public void setup() throws Exception {
        // the measured GEMM kernel, and what it was chosen over: forks can differ, and the step with them
        System.out.println("\n# GEMM kernel: " + Gemm.kernelName() + " (" + Gemm.kernelMeasurement() + ")");
        TrainConfig c = new TrainConfig();
        c.arch = "vit_tiny";
        c.patchSize = 4;
        c.globalSize = 32;
        c.localSize = 16;
        c.localCrops = 6;
        c.batchSize = 32;
        c.outDim = 4096;
        c.headHidden = 2048;
        c.headBottleneck = 256;
        c.syntheticImages = 3200;
        c.syntheticSize = 40;
        c.epochs = 100;
        c.evalImages = 0;
        dir = Files.createTempDirectory("dino-step-bench");
        trainer = new DinoTrainer(c, dir, new PrintStream(new ByteArrayOutputStream()));
        try (MultiCropLoader loader = new MultiCropLoader(new dev.dinoj.dino.data.SyntheticShapes(64, 40, 1),
                new dev.dinoj.dino.data.MultiCropAugmentation(32, 16, 6, c.globalScale, c.localScale), 32, 2, 1, 1)) {
            crops = loader.epoch(0, 0).iterator().next().crops;
        }
        iteration = 2000; // past warm-up: every parameter is trained
    }

    @Benchmark
    public double step(Images counter) {
        counter.images += 32;
        return trainer.trainStep(crops, 20, iteration).loss();
    }

    @TearDown
    public void tearDown() throws Exception {
        trainer.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
