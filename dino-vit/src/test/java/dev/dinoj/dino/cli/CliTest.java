package dev.dinoj.dino.cli;

import dev.dinoj.dino.VisionTransformer;
import dev.dinoj.dino.data.ImageFiles;
import dev.dinoj.dino.data.SyntheticShapes;
import dev.dinoj.dino.eval.FeatureExtractor;
import dev.dinoj.dino.train.DinoTrainer;
import dev.dinoj.nn.Checkpoint;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CliTest {
    @TempDir
    static Path dir;
    static Path run;

    /** Runs the CLI, returning {exit code, stdout + stderr}. */
    static Object[] cli(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(p);
        System.setErr(p);
        try {
            int code = Main.execute(args);
            return new Object[] {code, buf.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @BeforeAll
    static void trainATinyModel() {
        run = dir.resolve("run");
        Object[] r = cli("train", "--synthetic-images", "32", "--synthetic-size", "20", "--eval-images", "30", "--width", "24", "--depth", "1",
                "--heads", "2", "--patch", "4", "--global-size", "16", "--local-size", "8", "--local-crops", "2", "--out-dim", "64", "--head-hidden", "32",
                "--head-bottleneck", "16", "--batch-size", "16", "--epochs", "1", "--warmup-epochs", "0", "--warmup-teacher-temp-epochs", "0",
                "--output", run.toString());
        assertThat((int) r[0]).as((String) r[1]).isZero();
        assertThat((String) r[1]).contains("k-NN at random initialisation", "finished 1 epochs");
    }

    @Test
    void helpListsEverySubcommandAndEveryTrainOptionWithItsDefault() {
        Object[] top = cli("--help");
        assertThat((String) top[1]).contains("train", "knn", "embed", "attention");
        String help = (String) cli("train", "--help")[1];
        assertThat(help).contains("--epochs", "Default: 12", "--lr", "Default: 5.0E-4", "--teacher-temp", "--momentum-teacher", "Default: 0.996",
                "--local-crops", "--out-dim", "--resume", "--clip-grad", "Default: 3.0", "--freeze-last-layer");
        for (String sub : new String[] {"knn", "embed", "attention"}) assertThat((String) cli(sub, "--help")[1]).contains("--checkpoint");
    }

    @Test
    void badUsageAndBadInputsGiveOneClearMessage() {
        Object[] r = cli("train", "--epochs", "zero");
        assertThat((int) r[0]).isEqualTo(2);
        assertThat((String) r[1]).contains("--epochs").doesNotContain("\tat ");
        Object[] missing = cli("embed", "--checkpoint", dir.resolve("nope.safetensors").toString(), "--images", dir.toString(), "--out",
                dir.resolve("x.npy").toString());
        assertThat((int) missing[0]).isEqualTo(1);
        assertThat((String) missing[1]).contains("nope.safetensors").doesNotContain("\tat ");
        Path emptyDir;
        try {
            emptyDir = Files.createDirectories(dir.resolve("empty"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Object[] empty = cli("embed", "--checkpoint", run.resolve(DinoTrainer.CHECKPOINT).toString(), "--images",
                emptyDir.toString(), "--out", dir.resolve("x.npy").toString());
        assertThat((String) empty[1]).contains("no images found");
        Object[] badCkpt = cli("knn", "--checkpoint", run.resolve(DinoTrainer.METRICS).toString());
        assertThat((int) badCkpt[0]).isEqualTo(1);
        assertThat((String) badCkpt[1]).contains("metrics.jsonl").doesNotContain("\tat ");
    }

    @Test
    void embedWritesOneRowPerImageInSortedNameOrder() throws IOException {
        Path images = Files.createDirectories(dir.resolve("images"));
        SyntheticShapes s = new SyntheticShapes(3, 16, 9);
        ImageFiles.writePng(s.image(2), images.resolve("c.png"));
        ImageFiles.writePng(s.image(0), images.resolve("a.png"));
        ImageFiles.writePng(new SyntheticShapes(1, 30, 9).image(0), images.resolve("b.png")); // not at model size: resized + cropped
        Path npy = dir.resolve("features.npy");
        Object[] r = cli("embed", "--checkpoint", run.resolve(DinoTrainer.CHECKPOINT).toString(), "--images", images.toString(), "--out", npy.toString());
        assertThat((int) r[0]).as((String) r[1]).isZero();
        byte[] bytes = Files.readAllBytes(npy);
        assertThat(new String(bytes, 1, 5, StandardCharsets.US_ASCII)).isEqualTo("NUMPY");
        int headerLen = ByteBuffer.wrap(bytes, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort();
        String header = new String(bytes, 10, headerLen, StandardCharsets.US_ASCII);
        assertThat(header).contains("'descr': '<f4'", "'shape': (3, 24)");
        assertThat((10 + headerLen) % 64).isZero();
        float[] rows = new float[3 * 24];
        ByteBuffer.wrap(bytes, 10 + headerLen, 4 * rows.length).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(rows);
        // the same features from the backbone-only file, computed in-process, in a.png, b.png, c.png order
        VisionTransformer vit = dev.dinoj.dino.BackboneLoader.load(run.resolve(DinoTrainer.TEACHER_BACKBONE), 0, null);
        Tensor expected = FeatureExtractor.extract(vit, new EmbedCommand.FileList(EmbedCommand.sortedImages(images)), 8, 1);
        float[] e = expected.toFloatArray();
        for (int i = 0; i < rows.length; i++) assertThat(rows[i]).isCloseTo(e[i], org.assertj.core.data.Offset.offset(1e-5f));
    }

    @Test
    void backboneOnlyFilesNeedTheHeadCountFromMetadataOrOptions() throws IOException {
        VisionTransformer vit = dev.dinoj.dino.BackboneLoader.load(run.resolve(DinoTrainer.TEACHER_BACKBONE), 0, null);
        assertThat(vit.config().heads).isEqualTo(2);
        assertThat(vit.config().imageSize).isEqualTo(16);
        assertThat(vit.config().patchSize).isEqualTo(4);
        Path bare = dir.resolve("bare.safetensors");
        Checkpoint.save(bare, vit, Map.of());
        Object[] r = cli("knn", "--checkpoint", bare.toString(), "--synthetic-train", "20", "--synthetic-val", "10", "--synthetic-size", "16");
        assertThat((int) r[0]).isEqualTo(1);
        assertThat((String) r[1]).contains("--heads");
        Object[] ok = cli("knn", "--checkpoint", bare.toString(), "--heads", "2", "--synthetic-train", "20", "--synthetic-val", "10",
                "--synthetic-size", "16", "-k", "5");
        assertThat((int) ok[0]).as((String) ok[1]).isZero();
        assertThat((String) ok[1]).contains("top-1", "top-5");
    }

    @Test
    void attentionWritesHeatMapsPerHeadAndAnOverlay() throws IOException {
        Path img = dir.resolve("shape.png"), out = dir.resolve("attn");
        ImageFiles.writePng(new SyntheticShapes(1, 16, 4).image(0), img);
        Object[] r = cli("attention", "--checkpoint", run.resolve(DinoTrainer.CHECKPOINT).toString(), "--images", img.toString(), "--out", out.toString());
        assertThat((int) r[0]).as((String) r[1]).isZero();
        assertThat(out.resolve("shape-head0.png")).exists();
        assertThat(out.resolve("shape-head1.png")).exists();
        assertThat(ImageFiles.read(out.resolve("shape-overlay.png")).width).isEqualTo(256);
    }
}
