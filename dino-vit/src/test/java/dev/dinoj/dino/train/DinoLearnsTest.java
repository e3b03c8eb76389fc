package dev.dinoj.dino.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DINO learns the synthetic shape classes without labels: after a short run with a fixed seed, k-NN
 * top-1 of the teacher backbone on held-out images is clearly above the same model at random
 * initialisation, and the loss has left ln(out_dim) (no collapse). A small ViT (width 64, depth 3,
 * patch 8) with a 256-wide head, a faster teacher (momentum 0.99) and a sharper target (0.02) learns
 * in 640 iterations (about 4 minutes on 2 cores; a 6-epoch schedule fell back to a near-uniform
 * teacher and did not learn); the numbers of this run are in benchmarks/RESULTS.md.
 */
class DinoLearnsTest {
    @TempDir
    Path dir;

    static TrainConfig shortRun() {
        TrainConfig c = new TrainConfig();
        c.syntheticImages = 4096;
        c.evalImages = 600;
        c.width = 64;
        c.depth = 3;
        c.heads = 2;
        c.patchSize = 8;
        c.batchSize = 64;
        c.outDim = 256;
        c.lr = 0.004;
        c.momentumTeacher = 0.99;
        c.teacherTemp = 0.02;
        c.warmupTeacherTemp = 0.02;
        c.epochs = 10;
        c.knnEvery = 10;
        c.seed = 0;
        return c;
    }

    @Test
    void knnAccuracyRisesWellAboveRandomInitialisation() throws IOException {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        DinoTrainer.Result r;
        try (DinoTrainer t = new DinoTrainer(shortRun(), dir, new PrintStream(log))) {
            r = t.run();
        }
        System.out.printf(java.util.Locale.ROOT, "DINO learning run: k-NN top-1 %.2f%% at initialisation -> %.2f%% after %d epochs; final loss %.4f (ln 256 = %.4f)%n",
                100 * r.knnAtInit.top1, 100 * r.knnFinal.top1, r.epochs, r.finalLoss, Math.log(256));
        String why = "training log:\n" + log;
        assertThat(r.knnFinal.top1).as(why).isGreaterThanOrEqualTo(r.knnAtInit.top1 + 0.05); // 5 points (measured: 32.67% -> 40.33%)
        assertThat(r.finalLoss).as(why).isLessThan(Math.log(256) - 0.15); // measured: 5.268 vs ln 256 = 5.545
    }
}
