package dev.dinoj.dino.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dinoj.tensor.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training JVMs killed (SIGKILL) again and again, as soon as a checkpoint write is seen in progress or
 * at a random moment: after every kill the last checkpoint loads, and --resume continues the run.
 */
class CrashSafetyTest {
    @TempDir
    Path dir;

    /** The checkpoint temporaries in out: those the last kill left, or one being written now. */
    private static java.util.Set<String> temporaries(Path out) throws IOException {
        if (!Files.isDirectory(out)) return java.util.Set.of();
        try (Stream<Path> s = Files.list(out)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("." + DinoTrainer.CHECKPOINT + "."))
                    .collect(java.util.stream.Collectors.toSet());
        }
    }

    /** Whether the process has locked the run folder (it is then past start-up and owns the folder). */
    private static boolean holdsTheFolder(Path out, Process p) throws IOException {
        Path lock = out.resolve(RunFolderLock.FILE);
        return Files.exists(lock) && Files.readString(lock).trim().equals(Long.toString(p.pid()));
    }

    @Test
    void killedRunsLeaveALoadableCheckpointAndResume() throws Exception {
        Path out = dir.resolve("run");
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        List<String> base = new ArrayList<>(List.of(javaCommand, "-Xmx1g", "-cp", System.getProperty("java.class.path"), "dev.dinoj.dino.cli.Main", "train",
                "--synthetic-images", "64", "--synthetic-size", "20", "--eval-images", "0", "--width", "64", "--depth", "2", "--heads", "2",
                "--patch", "4", "--global-size", "16", "--local-size", "8", "--local-crops", "2", "--out-dim", "256", "--head-hidden", "128",
                "--head-bottleneck", "64", "--batch-size", "16", "--epochs", "500", "--warmup-epochs", "0", "--out", out.toString()));
        Random r = new Random(5);
        int kills = 0, duringWrites = 0;
        for (int round = 0; round < 5; round++) {
            List<String> cmd = new ArrayList<>(base);
            if (round > 0) cmd.add("--resume"); // every round kills only once a checkpoint exists
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("log" + round).toFile()).start();
            long killAt = System.nanoTime() + (long) ((2 + 3 * r.nextDouble()) * 1e9), giveUp = System.nanoTime() + (long) 90e9;
            boolean sawWrite = false;
            Path ckpt = out.resolve(DinoTrainer.CHECKPOINT);
            long before = Files.exists(ckpt) ? Files.getLastModifiedTime(ckpt).toMillis() : -1;
            java.util.Set<String> stale = temporaries(out); // the last kill's: not a write of this round
            while (p.isAlive() && System.nanoTime() < giveUp) {
                if (!holdsTheFolder(out, p)) { // still starting (a resume removes the stale temporaries once it holds it)
                    Thread.sleep(1);
                    continue;
                }
                boolean hasCheckpoint = Files.exists(ckpt);
                java.util.Set<String> now = temporaries(out);
                now.removeAll(stale);
                // rounds 0, 2, 4: while a checkpoint replacing the last one is being written
                if (round % 2 == 0 && hasCheckpoint && !now.isEmpty()) {
                    sawWrite = true;
                    break;
                }
                // rounds 1, 3: at a random moment, once this round has written a checkpoint of its own
                if (round % 2 == 1 && System.nanoTime() > killAt && hasCheckpoint && Files.getLastModifiedTime(ckpt).toMillis() != before) {
                    sawWrite = !now.isEmpty();
                    break;
                }
                Thread.sleep(0, 200_000);
            }
            assertThat(p.isAlive()).as("round %d: the run ended by itself; log: %s", round, Files.readString(dir.resolve("log" + round))).isTrue();
            // while it runs, the folder is its own: a second --resume is refused (it would delete the live temporary files)
            int thisRound = round;
            assertThatThrownBy(() -> {
                try (DinoTrainer second = DinoTrainer.resume(out, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))) {
                    assertThat(second).as("a second resume while round %d runs", thisRound).isNull();
                }
            }).hasMessageContaining("in use by another dino process (pid " + p.pid() + ")");
            p.destroyForcibly().waitFor();
            kills++;
            if (sawWrite) duringWrites++;
            SafeTensors.Contents c = SafeTensors.read(out.resolve(DinoTrainer.CHECKPOINT)); // loads, whatever the moment of the kill
            assertThat(c.metadata()).containsKey("epoch");
        }
        assertThat(kills).isEqualTo(5);
        // and the run continues: one more epoch from wherever the last kill left it
        SafeTensors.Contents last = SafeTensors.read(out.resolve(DinoTrainer.CHECKPOINT));
        int done = Integer.parseInt(last.metadata().get("epoch"));
        try (DinoTrainer t = DinoTrainer.resume(out, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()), dev.dinoj.tensor.Device.CPU,
                saved -> {
                    saved.epochs = done + 1;
                    return saved;
                })) {
            assertThat(t.run().epochs).isEqualTo(done + 1);
        }
        System.out.printf("crash safety: %d kills (%d while a checkpoint was being written), resumed after epoch %d%n", kills, duringWrites, done);
    }
}
