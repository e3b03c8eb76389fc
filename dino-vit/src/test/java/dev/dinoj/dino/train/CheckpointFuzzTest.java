package dev.dinoj.dino.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dinoj.dino.BackboneLoader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real training checkpoint mutated 10,000 times (bit flips, truncations, edits of the header's
 * characters and numbers, which include the saved settings and the resume metadata), each loaded the
 * two ways users load one: as a backbone ({@code --checkpoint} of knn/embed/linear/attention) and,
 * one of each kind in every 80, by {@code --resume}. Every outcome is a load or one of the project's errors with a
 * message (IOException naming the file, or a refused setting); never another exception.
 */
class CheckpointFuzzTest {
    @TempDir
    Path dir;

    @Test
    void mutatedCheckpointsLoadOrFailWithOneClearError() throws IOException {
        Path run = dir.resolve("run");
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        TrainConfig c = TrainingTest.tiny();
        c.epochs = 2;
        try (DinoTrainer t = new DinoTrainer(c, run, quiet)) {
            t.run(1);
        }
        byte[] original = Files.readAllBytes(run.resolve(DinoTrainer.CHECKPOINT));
        int headerEnd = 8 + (int) ByteBuffer.wrap(original, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Path target = dir.resolve("fuzz");
        Files.createDirectories(target);
        Path f = target.resolve(DinoTrainer.CHECKPOINT);
        Random r = new Random(2026);
        int loaded = 0, refused = 0, resumed = 0;
        for (int i = 0; i < 10_000; i++) {
            byte[] b = mutate(original, headerEnd, r, i % 4);
            Files.write(f, b);
            try {
                BackboneLoader.load(f, 0, null);
                loaded++;
            } catch (IOException | IllegalArgumentException e) {
                if (e instanceof NumberFormatException) throw new AssertionError("mutation " + i + ": a raw parse error escaped: " + e, e);
                assertThat(e.getMessage()).as("mutation %d (kind %d)", i, i % 4).isNotBlank();
                if (e instanceof IOException) assertThat(e.getMessage()).as("mutation %d (kind %d)", i, i % 4).contains(f.toString());
                refused++;
            } catch (RuntimeException | OutOfMemoryError e) {
                throw new AssertionError("backbone load of mutation " + i + " (kind " + i % 4 + ") escaped as " + e, e);
            }
            if ((i / 4) % 20 == 0) { // 4 consecutive mutations (one of each kind) in every 80
                for (String out : DinoTrainer.OUTPUTS) if (!out.equals(DinoTrainer.CHECKPOINT)) Files.deleteIfExists(target.resolve(out));
                try (DinoTrainer t = DinoTrainer.resume(target, quiet)) {
                    assertThat(t).isNotNull();
                    resumed++;
                } catch (IOException | IllegalArgumentException e) {
                    if (e instanceof NumberFormatException) throw new AssertionError("resume of mutation " + i + ": a raw parse error escaped: " + e, e);
                    assertThat(e.getMessage()).as("resume of mutation %d (kind %d)", i, i % 4).isNotBlank();
                } catch (RuntimeException | OutOfMemoryError e) {
                    throw new AssertionError("resume of mutation " + i + " (kind " + i % 4 + ") escaped as " + e, e);
                }
            }
        }
        System.out.printf("checkpoint fuzz: %d loaded as backbones, %d refused; %d of 500 resumed%n", loaded, refused, resumed);
        assertThat(refused).isGreaterThan(3_000);
        assertThat(loaded).isPositive(); // flips inside tensor data load (as other numbers; NaN ones are refused by name)
        assertThat(resumed).isPositive();
    }

    private static byte[] mutate(byte[] original, int headerEnd, Random r, int kind) {
        byte[] b = original.clone();
        switch (kind) {
            case 0: // bit flips, mostly in the header
                for (int k = 1 + r.nextInt(3); k > 0; k--) {
                    int at = r.nextInt(4) == 0 ? r.nextInt(b.length) : r.nextInt(headerEnd);
                    b[at] ^= (byte) (1 << r.nextInt(8));
                }
                return b;
            case 1: // truncation
                return Arrays.copyOf(b, r.nextInt(b.length));
            case 2: { // a character of the header (its JSON, the saved settings inside it) replaced
                int at = 8 + r.nextInt(headerEnd - 8);
                byte[] pool = "0123456789-.e,:[]{}\"\\aZ ".getBytes(StandardCharsets.US_ASCII);
                b[at] = pool[r.nextInt(pool.length)];
                return b;
            }
            default: { // one number of the header (a shape, an offset, a setting, the epoch) made extreme
                String h = new String(b, 8, headerEnd - 8, StandardCharsets.US_ASCII);
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\d+").matcher(h);
                int count = 0;
                while (m.find()) count++;
                int pick = r.nextInt(Math.max(1, count));
                m.reset();
                for (int k = 0; k <= pick && m.find(); k++) { /* advance to the picked number */ }
                String[] extreme = {"2147483648", "-1", "1073741824", "9223372036854775807", "0", "99999999999999999999", "3"};
                String e = h.substring(0, m.start()) + extreme[r.nextInt(extreme.length)] + h.substring(m.end());
                byte[] hb = e.getBytes(StandardCharsets.US_ASCII);
                ByteBuffer nb = ByteBuffer.allocate(8 + hb.length + (b.length - headerEnd)).order(ByteOrder.LITTLE_ENDIAN);
                nb.putLong(hb.length).put(hb).put(b, headerEnd, b.length - headerEnd);
                return nb.array();
            }
        }
    }
}
