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
    void everyTrainingSettingIsAnOptionDeclaredOnce() {
        picocli.CommandLine train = new picocli.CommandLine(new Main()).getSubcommands().get("train");
        java.util.Set<String> declared = new java.util.HashSet<>();
        for (picocli.CommandLine.Model.OptionSpec o : train.getCommandSpec().options()) {
            if (o.userObject() instanceof java.lang.reflect.Field) declared.add(((java.lang.reflect.Field) o.userObject()).getName());
        }
        for (java.lang.reflect.Field f : dev.dinoj.dino.train.TrainConfig.class.getFields()) {
            if (!java.lang.reflect.Modifier.isStatic(f.getModifiers())) assertThat(declared).as("TrainConfig.%s has an option", f.getName()).contains(f.getName());
        }
    }

    @Test
    void badTrainingSettingsAreNamedBeforeAnyWorkEvenWhereARunAlreadyIs() {
        String[][] cases = {{"--clip-grad", "-1"}, {"--freeze-last-layer", "-1"}, {"--min-lr", "NaN"}, {"--lr", "Infinity"},
            {"--weight-decay", "-0.1"}, {"--global-scale", "0.5"}, {"--local-scale", "0.5,0.2"}, {"--center-momentum", "1"},
            {"--out-dim", "0"}, {"--synthetic-images", "0"}, {"--eval-images", "-1"}, {"--knn-every", "0"}, {"--patch", "0"}, {"--width", "100"},
            {"--heads", "0"}, {"--depth", "0"}};
        for (String[] c : cases) {
            Object[] r = cli("train", c[0], c[1], "--out", run.toString());
            assertThat((int) r[0]).as(c[0]).isNotZero();
            assertThat((String) r[1]).as(c[0]).contains(c[0]).doesNotContain("already holds").doesNotContain("Exception");
        }
    }

    @Test
    void optionsOfAnotherMethodAreRefusedByNameNotIgnored() {
        Object[] r = cli("train", "--method", "simdino", "--teacher-temp", "0.02", "--centering", "sinkhorn", "--out", dir.resolve("sd").toString());
        assertThat((int) r[0]).isNotZero();
        assertThat((String) r[1]).contains("--teacher-temp, --centering have no effect with --method simdino").doesNotContain("Exception");
        Object[] d = cli("train", "--coding-rate-gamma", "0.1", "--out", dir.resolve("sd").toString());
        assertThat((String) d[1]).contains("--coding-rate-gamma has no effect with --method dino");
        Object[] m = cli("train", "--method", "cpc", "--out", dir.resolve("sd").toString());
        assertThat((String) m[1]).contains("--method must be dino, dinov2, simdino, simdinov2, byol, simsiam, mocov3, simclr, barlowtwins, swav, mocov2 or instdisc, got 'cpc'");
        Object[] byol = cli("train", "--method", "byol", "--out-dim", "64", "--local-crops", "2", "--out", dir.resolve("sd").toString());
        assertThat((String) byol[1]).contains("--out-dim, --local-crops have no effect with --method byol");
        Object[] v = cli("train", "--arch", "resnet18", "--patch", "4", "--depth", "2", "--out", dir.resolve("sd").toString());
        assertThat((String) v[1]).contains("--patch, --depth have no effect with --arch resnet18 (a ResNet; they set up a ViT)").doesNotContain("Exception");
        Object[] p = cli("train", "--arch", "resnet18", "--method", "simdinov2", "--out", dir.resolve("sd").toString());
        assertThat((String) p[1]).contains("--method simdinov2 masks patch tokens, which a ResNet has not");
        assertThat(dir.resolve("sd")).doesNotExist();
    }

    @Test
    void settingsThatCannotFitInMemoryAreRefusedByNameBeforeAnythingIsAllocated() {
        String[][] cases = {{"--width", "30000"}, {"--epochs", "2147483647"}, {"--synthetic-images", "2000000000"}, {"--out-dim", "2000000000"}};
        for (String[] c : cases) {
            long t0 = System.nanoTime();
            Object[] r = cli("train", c[0], c[1], "--out", dir.resolve("never").toString());
            assertThat((int) r[0]).as(c[0]).isEqualTo(1);
            assertThat((String) r[1]).as(c[0]).contains(c[0]).doesNotContain("Exception").doesNotContain("\tat ");
            assertThat((System.nanoTime() - t0) / 1e9).as(c[0] + " is refused before any work").isLessThan(10);
        }
        assertThat(dir.resolve("never")).doesNotExist();
    }

    @Test
    void unreadableTrainingImagesAreAllListedBeforeTrainingOrLeftOutOnRequest() throws IOException {
        Path data = dir.resolve("with-bad-images");
        for (int i = 0; i < 40; i++) {
            Files.createDirectories(data.resolve("c" + i % 2));
            ImageFiles.writePng(new SyntheticShapes(1, 20, i).image(0), data.resolve("c" + i % 2 + "/" + i + ".png"));
        }
        Files.write(data.resolve("c0/broken.png"), new byte[] {1, 2, 3, 4});
        Files.write(data.resolve("c1/empty.jpg"), new byte[0]);
        String[] tiny = {"train", "--data", data.toString(), "--eval-images", "0", "--width", "24", "--depth", "1", "--heads", "2", "--patch", "4",
            "--global-size", "16", "--local-size", "8", "--local-crops", "2", "--out-dim", "64", "--head-hidden", "32", "--head-bottleneck", "16",
            "--batch-size", "16", "--epochs", "1", "--warmup-epochs", "0"};
        Object[] refused = cli(concat(tiny, "--out", dir.resolve("bad-run").toString()));
        assertThat((int) refused[0]).isEqualTo(1);
        assertThat((String) refused[1]).contains("2 of the 42 images", "broken.png", "empty.jpg", "--skip-bad-images");
        assertThat(dir.resolve("bad-run")).doesNotExist();
        Object[] skipped = cli(concat(tiny, "--out", dir.resolve("skip-run").toString(), "--skip-bad-images"));
        assertThat((int) skipped[0]).as((String) skipped[1]).isZero();
        assertThat((String) skipped[1]).contains("left out 2 unreadable image(s)", "40 images");
        // the decompression-bomb limit is an option of every command: 20 x 20 images over a limit of 399 pixels
        try {
            Object[] limited = cli(concat(tiny, "--out", dir.resolve("limit-run").toString(), "--max-pixels", "399"));
            assertThat((int) limited[0]).isEqualTo(1);
            assertThat((String) limited[1]).contains("42 of the 42 images", "20 x 20 = 400 pixels, more than the limit of 399", "--max-pixels");
            Object[] zero = cli("knn", "--pixels", "--max-pixels", "0");
            assertThat((int) zero[0]).isEqualTo(2);
            assertThat((String) zero[1]).contains("--max-pixels must be positive, got 0");
        } finally {
            System.clearProperty(ImageFiles.MAX_PIXELS_PROPERTY);
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void fileSystemErrorsSayWhatIsWrongWithWhichPath() {
        assertThat(Main.describe(new java.nio.file.AccessDeniedException("/data/out"))).isEqualTo("permission denied: /data/out");
        assertThat(Main.describe(new java.nio.file.NotDirectoryException("/data/f"))).isEqualTo("not a folder: /data/f");
        assertThat(Main.describe(new java.nio.file.FileSystemException("/data/x", null, "No space left on device"))).isEqualTo("No space left on device: /data/x");
        assertThat(Main.describe(new java.nio.file.NoSuchFileException("/data/y", null, "image folder not found"))).isEqualTo("image folder not found: /data/y");
    }

    /** A bad system property fails the start-up of the class that reads it: the message is its cause's, not "ExceptionInInitializerError". */
    @Test
    void aBadSystemPropertySaysWhichPropertyNotThatAClassFailedToStart() {
        assertThat(Main.describe(new ExceptionInInitializerError(new IllegalArgumentException("system property dinoj.spinMicros must be a non-negative integer, got 'x'"))))
                .isEqualTo("system property dinoj.spinMicros must be a non-negative integer, got 'x'");
    }

    @Test
    void aNewRunRefusesAFolderThatHoldsOneAndLeavesItUntouched() throws IOException {
        byte[] metrics = Files.readAllBytes(run.resolve(DinoTrainer.METRICS)), ckpt = Files.readAllBytes(run.resolve(DinoTrainer.CHECKPOINT));
        Object[] r = cli("train", "--synthetic-images", "16", "--out", run.toString());
        assertThat((int) r[0]).isNotZero();
        assertThat((String) r[1]).contains(run.toString(), "already holds a DINO run", "--resume", "--out").doesNotContain("Exception");
        assertThat(Files.readAllBytes(run.resolve(DinoTrainer.METRICS))).isEqualTo(metrics);
        assertThat(Files.readAllBytes(run.resolve(DinoTrainer.CHECKPOINT))).isEqualTo(ckpt);
        Path file = dir.resolve("a-file");
        Files.writeString(file, "x");
        assertThat((String) cli("train", "--out", file.toString())[1]).contains("is a file");
        assertThat((String) cli("train", "--resume", "--overwrite", "--out", run.toString())[1]).contains("give one of them");
        // --overwrite with a setting that would be refused deletes nothing
        Object[] bad = cli("train", "--overwrite", "--epochs", "0", "--out", run.toString());
        assertThat((String) bad[1]).contains("--epochs");
        assertThat(Files.readAllBytes(run.resolve(DinoTrainer.CHECKPOINT))).isEqualTo(ckpt);
    }

    @Test
    void overwriteStartsAFreshRunInPlace() throws IOException {
        Path again = dir.resolve("again");
        Files.createDirectories(again);
        Files.writeString(again.resolve(DinoTrainer.METRICS), "old\n");
        Files.writeString(again.resolve("notes.txt"), "mine");
        Object[] r = cli("train", "--synthetic-images", "32", "--synthetic-size", "20", "--eval-images", "0", "--width", "24", "--depth", "1",
                "--heads", "2", "--patch", "4", "--global-size", "16", "--local-size", "8", "--local-crops", "2", "--out-dim", "64", "--head-hidden", "32",
                "--head-bottleneck", "16", "--batch-size", "16", "--epochs", "1", "--warmup-epochs", "0", "--out", again.toString(), "--overwrite");
        assertThat((int) r[0]).as((String) r[1]).isZero();
        assertThat(Files.readString(again.resolve(DinoTrainer.METRICS))).doesNotContain("old");
        assertThat(Files.readString(again.resolve("notes.txt"))).isEqualTo("mine");
        // data that cannot be read is refused before the old run is deleted
        byte[] before = Files.readAllBytes(again.resolve(DinoTrainer.CHECKPOINT));
        Object[] bad = cli("train", "--data", dir.resolve("no-such-images").toString(), "--out", again.toString(), "--overwrite");
        assertThat((int) bad[0]).isEqualTo(1);
        assertThat((String) bad[1]).contains("no-such-images");
        assertThat(Files.readAllBytes(again.resolve(DinoTrainer.CHECKPOINT))).isEqualTo(before);
    }

    @Test
    void resumeExtendsARunWithEpochsAndRefusesOtherChangedSettingsByName() throws IOException {
        Path copy = dir.resolve("resumed");
        Files.createDirectories(copy);
        try (java.util.stream.Stream<Path> files = Files.list(run)) {
            for (Path f : (Iterable<Path>) files::iterator) Files.copy(f, copy.resolve(f.getFileName()));
        }
        // a kill during the final writes: the backbone is missing, and a temporary file of the checkpoint was left behind
        Files.delete(copy.resolve(DinoTrainer.TEACHER_BACKBONE));
        Files.delete(copy.resolve(DinoTrainer.CHART));
        Files.writeString(copy.resolve("." + DinoTrainer.CHECKPOINT + ".5f3a.tmp"), "half");
        Object[] repaired = cli("train", "--resume", "--out", copy.toString());
        assertThat((int) repaired[0]).as((String) repaired[1]).isZero();
        assertThat((String) repaired[1]).contains("rewrote its missing " + DinoTrainer.TEACHER_BACKBONE + " and " + DinoTrainer.CHART);
        assertThat(dev.dinoj.dino.BackboneLoader.load(copy.resolve(DinoTrainer.TEACHER_BACKBONE), 0, null).config().heads).isEqualTo(2);
        assertThat(copy.resolve(DinoTrainer.CHART)).exists();
        Object[] finished = cli("train", "--resume", "--out", copy.toString());
        assertThat((int) finished[0]).isNotZero();
        assertThat((String) finished[1]).contains("has trained 1 epochs", "--epochs N, N > 1").doesNotContain("Exception");
        Object[] changed = cli("train", "--resume", "--out", copy.toString(), "--epochs", "2", "--lr", "0.1", "--width", "24");
        assertThat((int) changed[0]).isNotZero();
        assertThat((String) changed[1]).contains("--lr (the run has 5.0E-4)").doesNotContain("--width").doesNotContain("--epochs (");
        Object[] extended = cli("train", "--resume", "--out", copy.toString(), "--epochs", "2", "--workers", "1");
        assertThat((int) extended[0]).as((String) extended[1]).isZero();
        assertThat((String) extended[1]).contains("resuming after epoch 1 of 2", "finished 2 epochs", "removed 1 temporary file(s)");
        assertThat(copy.resolve("." + DinoTrainer.CHECKPOINT + ".5f3a.tmp")).doesNotExist();
    }

    @Test
    void helpListsEverySubcommandAndEveryTrainOptionWithItsDefault() {
        Object[] top = cli("--help");
        assertThat((String) top[1]).contains("train", "knn", "linear", "embed", "attention");
        String help = (String) cli("train", "--help")[1];
        assertThat(help).contains("--epochs", "Default: 12", "--lr", "Default: 5.0E-4", "--teacher-temp", "--momentum-teacher", "Default: 0.996",
                "--local-crops", "--out-dim", "--resume", "--clip-grad", "Default: 3.0", "--freeze-last-layer");
        for (String sub : new String[] {"knn", "linear", "embed", "attention"}) assertThat((String) cli(sub, "--help")[1]).contains("--checkpoint");
        assertThat((String) cli("linear", "--help")[1]).contains("--n-last-blocks", "Default: 4", "--avgpool-patchtokens", "--lr", "Default: [0.001, 0.01, 0.1, 1.0]",
                "--epochs", "Default: 100", "--batch-size", "Default: 256", "--pixels", "--json", "--device", "RandomResizedCrop + flip) is not applied");
        assertThat((String) cli("knn", "--help")[1]).contains("--pixels", "--size", "--device", "k = 10, 20, 100 and 200");
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
        byte[] written = Files.readAllBytes(npy);
        Object[] again = cli("embed", "--checkpoint", run.resolve(DinoTrainer.CHECKPOINT).toString(), "--images", images.toString(), "--out", npy.toString());
        assertThat((int) again[0]).isNotZero();
        assertThat((String) again[1]).contains("already exists", "--overwrite");
        assertThat(Files.readAllBytes(npy)).isEqualTo(written);
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
    void headsThatContradictTheFileAndNonFiniteWeightsAreRefusedByName() throws IOException {
        Object[] wrong = cli("embed", "--checkpoint", run.resolve(DinoTrainer.CHECKPOINT).toString(), "--heads", "3", "--images", dir.toString(),
                "--out", dir.resolve("never.npy").toString());
        assertThat((int) wrong[0]).isEqualTo(1);
        assertThat((String) wrong[1]).contains("--heads 3 contradicts", "2 heads");
        VisionTransformer vit = dev.dinoj.dino.BackboneLoader.load(run.resolve(DinoTrainer.TEACHER_BACKBONE), 0, null);
        Map<String, Tensor> state = new java.util.LinkedHashMap<>(vit.stateDict());
        float[] qkv = state.get("blocks.0.attn.qkv.weight").toFloatArray();
        qkv[7] = Float.NaN;
        state.put("blocks.0.attn.qkv.weight", Tensor.fromArray(qkv, state.get("blocks.0.attn.qkv.weight").dims()));
        Path bad = dir.resolve("nan.safetensors");
        dev.dinoj.tensor.io.SafeTensors.write(bad, state, Map.of("num_heads", "2"));
        Object[] r = cli("knn", "--checkpoint", bad.toString(), "--synthetic-train", "20", "--synthetic-val", "10", "--synthetic-size", "16");
        assertThat((int) r[0]).isEqualTo(1);
        assertThat((String) r[1]).contains("blocks.0.attn.qkv.weight", "NaN").doesNotContain("Exception");
        assertThat(dir.resolve("never.npy")).doesNotExist();
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
        // a second run into the same folder replaces nothing unasked
        Object[] again = cli("attention", "--checkpoint", run.resolve(DinoTrainer.CHECKPOINT).toString(), "--images", img.toString(), "--out", out.toString());
        assertThat((int) again[0]).isNotZero();
        assertThat((String) again[1]).contains("already holds 3 of these maps", "--overwrite");
        assertThat((int) cli("attention", "--checkpoint", run.resolve(DinoTrainer.CHECKPOINT).toString(), "--images", img.toString(), "--out",
                out.toString(), "--overwrite")[0]).isZero();
    }

    @Test
    void attentionKeepsRelativePathsSoImagesOfTheSameNameDoNotOverwriteEachOther() throws IOException {
        Path in = dir.resolve("same-names"), out = dir.resolve("same-names-maps");
        for (String f : new String[] {"a/img00.png", "b/img00.png", "x.png", "x.jpg"}) {
            Files.createDirectories(in.resolve(f).getParent());
            ImageFiles.writePng(new SyntheticShapes(1, 16, f.hashCode()).image(0), in.resolve(f));
        }
        Object[] r = cli("attention", "--checkpoint", run.resolve(DinoTrainer.CHECKPOINT).toString(), "--images", in.toString(), "--out", out.toString());
        assertThat((int) r[0]).as((String) r[1]).isZero();
        assertThat(out.resolve("a/img00-overlay.png")).exists();
        assertThat(out.resolve("b/img00-overlay.png")).exists();
        assertThat(out.resolve("x.png-overlay.png")).exists();
        assertThat(out.resolve("x.jpg-overlay.png")).exists();
        assertThat(AttentionCommand.outputNames(in, java.util.List.of(in.resolve("x.png"), in.resolve("y.png")))).containsExactly("x", "y");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AttentionCommand.outputNames(in,
                java.util.List.of(in.resolve("x.png"), in.resolve("x.jpg"), in.resolve("x.png.jpg")))).hasMessageContaining("same map names");
    }

    /** Synthetic shapes written as PNGs into one sub-folder per class: a labelled image folder. */
    static Path labelledFolder(String name, int count, long seed) throws IOException {
        Path root = dir.resolve(name);
        SyntheticShapes s = new SyntheticShapes(count, 20, seed);
        for (int i = 0; i < count; i++) {
            Path classDir = Files.createDirectories(root.resolve(s.classes().get(s.label(i))));
            ImageFiles.writePng(s.image(i), classDir.resolve(String.format("%03d.png", i)));
        }
        return root;
    }

    static Path trainFolder, valFolder;

    static synchronized void folders() throws IOException {
        if (trainFolder == null) {
            trainFolder = labelledFolder("shapes-train", 48, 21);
            valFolder = labelledFolder("shapes-val", 24, 22);
        }
    }

    @Test
    void linearProbesTheBackboneAndWritesTheResultAsJson() throws IOException {
        folders();
        Path json = dir.resolve("linear.json");
        Object[] r = cli("linear", "--checkpoint", run.resolve(DinoTrainer.CHECKPOINT).toString(), "--train", trainFolder.toString(), "--val",
                valFolder.toString(), "--epochs", "3", "--device", "cpu", "--json", json.toString());
        String out = (String) r[1];
        assertThat((int) r[0]).as(out).isZero();
        assertThat(out).contains("features cached, no augmentation", "--n-last-blocks 4 is more than the model's 1 blocks: using all 1",
                "cls tokens of the last 1 block(s)", "24 dimensions; 48 train / 24 val images, 6 classes", "lr 0.001 x 256 / 256 = 0.001", "lr 1.0 x 256 / 256 = 1.0",
                "the best of 4", "top-1", "top-5");
        com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertThat(o.get("features").getAsString()).isEqualTo("backbone");
        assertThat(o.get("dim").getAsInt()).isEqualTo(24);
        assertThat(o.get("n_last_blocks").getAsInt()).isEqualTo(1);
        assertThat(o.get("augmentation").getAsBoolean()).isFalse();
        assertThat(o.get("epochs").getAsInt()).isEqualTo(3);
        assertThat(o.get("top1").getAsDouble()).isBetween(0.0, 1.0);
        assertThat(o.get("top5").getAsDouble()).isBetween(o.get("top1").getAsDouble(), 1.0);
        assertThat(o.get("best_top1").getAsDouble()).isGreaterThanOrEqualTo(o.get("top1").getAsDouble());
        assertThat(o.getAsJsonArray("lr_sweep")).hasSize(4);
        for (com.google.gson.JsonElement e : o.getAsJsonArray("lr_sweep")) {
            assertThat(e.getAsJsonObject().get("best_top1").getAsDouble()).isLessThanOrEqualTo(o.get("best_top1").getAsDouble());
        }
        assertThat(dir).isDirectoryNotContaining("glob:**/.linear.json.*.tmp");

        Object[] pooled = cli("linear", "--checkpoint", run.resolve(DinoTrainer.TEACHER_BACKBONE).toString(), "--train", trainFolder.toString(), "--val",
                valFolder.toString(), "--epochs", "1", "--n-last-blocks", "1", "--avgpool-patchtokens", "--standardize", "true");
        assertThat((int) pooled[0]).as((String) pooled[1]).isZero();
        assertThat((String) pooled[1]).contains("+ average-pooled patch tokens", "48 dimensions", "standardised").doesNotContain("more than the model's");
    }

    @Test
    void rawPixelBaselinesNeedNoCheckpoint() throws IOException {
        folders();
        Path json = dir.resolve("pixels.json");
        Object[] lin = cli("linear", "--pixels", "--size", "8", "--train", trainFolder.toString(), "--val", valFolder.toString(), "--epochs", "2",
                "--json", json.toString());
        assertThat((int) lin[0]).as((String) lin[1]).isZero();
        assertThat((String) lin[1]).contains("raw pixels at 8 x 8", "192 dimensions", "features cached, no augmentation", "top-1");
        assertThat(com.google.gson.JsonParser.parseString(Files.readString(json)).getAsJsonObject().get("features").getAsString()).isEqualTo("pixels");

        Object[] knn = cli("knn", "--pixels", "--train", trainFolder.toString(), "--val", valFolder.toString());
        String out = (String) knn[1];
        assertThat((int) knn[0]).as(out).isZero();
        assertThat(out).contains("raw pixels at 32 x 32", "24 queries against 48 neighbours", "k=10 ", "k=20 ", "k=100 ", "k=200 ", "headline");
        // with a checkpoint, the pixels are taken at the model's size; -k reports that one k
        Object[] one = cli("knn", "--pixels", "--checkpoint", run.resolve(DinoTrainer.CHECKPOINT).toString(), "--train", trainFolder.toString(), "--val",
                valFolder.toString(), "-k", "5");
        assertThat((int) one[0]).as((String) one[1]).isZero();
        assertThat((String) one[1]).contains("k-NN (k=5, T=0.07) of raw pixels at 16 x 16").doesNotContain("k=20");
        Object[] features = cli("knn", "--checkpoint", run.resolve(DinoTrainer.CHECKPOINT).toString(), "--train", trainFolder.toString(), "--val",
                valFolder.toString(), "--device", "cpu");
        assertThat((int) features[0]).as((String) features[1]).isZero();
        assertThat((String) features[1]).contains("cls features of", "k=200 ");
    }

    @Test
    void linearAndKnnRejectBadInputsWithOneClearMessage() throws IOException {
        folders();
        String t = trainFolder.toString(), v = valFolder.toString();
        Object[] noCkpt = cli("linear", "--train", t, "--val", v);
        assertThat((int) noCkpt[0]).isEqualTo(2);
        assertThat((String) noCkpt[1]).contains("--checkpoint").doesNotContain("\tat ");
        Object[] knnNoCkpt = cli("knn", "--train", t, "--val", v);
        assertThat((int) knnNoCkpt[0]).isEqualTo(2);
        assertThat((String) knnNoCkpt[1]).contains("--checkpoint").doesNotContain("\tat ");
        Object[] embedNoCkpt = cli("embed", "--images", t, "--out", dir.resolve("y.npy").toString());
        assertThat((int) embedNoCkpt[0]).isEqualTo(2);
        assertThat((String) embedNoCkpt[1]).contains("--checkpoint");
        Object[] noTrain = cli("linear", "--pixels", "--val", v);
        assertThat((int) noTrain[0]).isEqualTo(2);
        assertThat((String) noTrain[1]).contains("--train").doesNotContain("\tat ");
        Object[] missing = cli("linear", "--pixels", "--train", dir.resolve("no-such-folder").toString(), "--val", v);
        assertThat((int) missing[0]).isEqualTo(1);
        assertThat((String) missing[1]).contains("no-such-folder").contains("--train").doesNotContain("\tat ");
        Path unlabelled = Files.createDirectories(dir.resolve("unlabelled"));
        ImageFiles.writePng(new SyntheticShapes(1, 16, 1).image(0), unlabelled.resolve("a.png"));
        Object[] noLabels = cli("linear", "--pixels", "--train", unlabelled.toString(), "--val", v);
        assertThat((int) noLabels[0]).isEqualTo(1);
        assertThat((String) noLabels[1]).contains("no labels").doesNotContain("\tat ");
        Object[] sizeWithoutPixels = cli("knn", "--checkpoint", run.resolve(DinoTrainer.CHECKPOINT).toString(), "--size", "8");
        assertThat((int) sizeWithoutPixels[0]).isEqualTo(1);
        assertThat((String) sizeWithoutPixels[1]).contains("--size applies to --pixels only");
        Object[] badJson = cli("linear", "--pixels", "--size", "4", "--train", t, "--val", v, "--epochs", "1", "--json",
                dir.resolve("no-such-dir").resolve("r.json").toString());
        assertThat((int) badJson[0]).isEqualTo(1);
        assertThat((String) badJson[1]).contains("--json: folder not found").doesNotContain("\tat ").doesNotContain("linear probe (");
        // one IDX file as bank and queries: every query would find itself
        Path idx = dir.resolve("train-images-idx3-ubyte");
        byte[] header = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 4};
        Files.write(idx, java.util.Arrays.copyOf(header, 16 + 2 * 16));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 2, 0, 1});
        Object[] same = cli("knn", "--pixels", "--train", idx.toString(), "--val", idx.toString());
        assertThat((int) same[0]).isEqualTo(1);
        assertThat((String) same[1]).contains("the same file").doesNotContain("\tat ");
        Object[] badDevice = cli("linear", "--checkpoint", run.resolve(DinoTrainer.CHECKPOINT).toString(), "--train", t, "--val", v, "--device", "tpu");
        assertThat((int) badDevice[0]).isEqualTo(1);
        assertThat((String) badDevice[1]).contains("bad device 'tpu'");
        Object[] zeroEpochs = cli("linear", "--pixels", "--train", t, "--val", v, "--epochs", "0");
        assertThat((int) zeroEpochs[0]).isEqualTo(1);
        assertThat((String) zeroEpochs[1]).contains("epochs must be positive");
        // loader and batch options, by name, before any data is read (the folders here would load)
        String ckpt = run.resolve(DinoTrainer.CHECKPOINT).toString(), npy = dir.resolve("z.npy").toString();
        String[][] bad = {
            {"--workers must be positive, got 0", "knn", "--pixels", "--train", t, "--val", v, "--workers", "0"},
            {"--workers must be positive, got -1", "linear", "--pixels", "--train", t, "--val", v, "--workers", "-1"},
            {"--batch-size must be positive, got 0", "knn", "--pixels", "--train", t, "--val", v, "--batch-size", "0"},
            {"--extract-batch-size must be positive, got 0", "linear", "--pixels", "--train", t, "--val", v, "--extract-batch-size", "0"},
            {"--val-freq must be >= 0", "linear", "--pixels", "--train", t, "--val", v, "--val-freq", "-2"},
            {"--synthetic-size must be positive", "knn", "--pixels", "--synthetic-size", "0"},
            {"--batch-size must be positive, got -4", "embed", "--checkpoint", ckpt, "--images", t, "--out", npy, "--batch-size", "-4"},
            {"--workers must be positive, got 0", "embed", "--checkpoint", ckpt, "--images", t, "--out", npy, "--workers", "0"},
        };
        for (String[] c : bad) {
            Object[] r = cli(java.util.Arrays.copyOfRange(c, 1, c.length));
            assertThat((int) r[0]).as(String.join(" ", c)).isEqualTo(1);
            assertThat((String) r[1]).as(String.join(" ", c)).contains(c[0]).doesNotContain("\tat ").doesNotContain("k-NN (");
        }
        assertThat(dir.resolve("z.npy")).doesNotExist();
    }
}
