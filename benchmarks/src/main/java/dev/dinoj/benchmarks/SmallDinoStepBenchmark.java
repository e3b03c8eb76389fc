package dev.dinoj.benchmarks;

import dev.dinoj.dino.data.MultiCropLoader;
import dev.dinoj.dino.train.DinoTrainer;
import dev.dinoj.dino.train.TrainConfig;
import dev.dinoj.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
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
 * One step of the README's training command, the small step a CPU user runs: the conv-stem ViT (96 wide,
 * 4 blocks, 3 heads, patch 8, two conv stages per stride), batch norm in the head (out_dim 256),
 * 2 global crops of 32 px and 2 local crops of 16 px, Sinkhorn-Knopp centering, KoLeo; batch 16 (the
 * README's) or 32. Its ops are small, so this is where the cost of handing each one to the threads
 * shows (DinoStepBenchmark's ViT-tiny step is GEMM-bound). The images counter reports images per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 10)
@Measurement(iterations = 3, time = 15)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class SmallDinoStepBenchmark {
    @Param({"16", "32"})
    public int batch;

    private DinoTrainer trainer;
    private List<Tensor> crops;
    private Path dir;

    @Setup
    public void setup() throws Exception {
        TrainConfig c = new TrainConfig();
        c.stem = "conv";
        c.stemDepth = 2;
        c.koleoWeight = 0.3;
        c.useBnInHead = true;
        c.localCrops = 2;
        c.lr = 0.008;
        c.momentumTeacher = 0.99;
        c.teacherTemp = 0.01;
        c.warmupTeacherTemp = 0.01;
        c.centering = "sinkhorn";
        c.batchSize = batch;
        c.syntheticImages = 50 * batch;
        c.epochs = 100;
        c.evalImages = 0;
        dir = Files.createTempDirectory("small-dino-step-bench");
        trainer = new DinoTrainer(c, dir, new PrintStream(new ByteArrayOutputStream()));
        try (MultiCropLoader loader = new MultiCropLoader(new dev.dinoj.dino.data.SyntheticShapes(4 * batch, c.syntheticSize, 1),
                new dev.dinoj.dino.data.MultiCropAugmentation(c.globalSize, c.localSize, c.localCrops, c.globalScale, c.localScale),
                batch, 2, 1, 1)) {
            crops = loader.epoch(0, 0).iterator().next().crops;
        }
    }

    @Benchmark
    public double step(DinoStepBenchmark.Images counter) {
        counter.images += batch;
        return trainer.trainStep(crops, 20, 1000).loss(); // past warm-up: every parameter is trained
    }

    @TearDown
    public void tearDown() throws Exception {
        trainer.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
