package dev.dinoj.dino.cli;

import dev.dinoj.dino.Backbone;
import dev.dinoj.dino.data.ImageFiles;
import dev.dinoj.dino.data.ImageFolder;
import dev.dinoj.dino.eval.FeatureExtractor;
import dev.dinoj.dino.eval.NpyWriter;
import dev.dinoj.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;

@Command(name = "embed", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = {"Writes the cls features of every image in a folder to a NumPy .npy file.",
            "One float32 row per image (after the final norm), in sorted file-name order. Images at the model's",
            "resolution are used as they are; others are resized and centre-cropped as the reference's evaluation does."})
final class EmbedCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;
    @Option(names = "--images", required = true, description = "folder of images (searched recursively)")
    Path images;
    @Option(names = "--out", required = true, description = "output .npy file")
    Path out;
    @Option(names = "--batch-size", description = "images per forward pass")
    int batchSize = 64;
    @Option(names = "--workers", description = "image decoding threads")
    int workers = 2;
    @Option(names = "--overwrite", description = "replace --out if it exists")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        OptionChecks.positive("--batch-size", batchSize);
        OptionChecks.positive("--workers", workers);
        if (Files.isDirectory(out)) throw new IllegalArgumentException("--out " + out + " is a folder; give the .npy file to write");
        if (Files.exists(out) && !overwrite) {
            throw new IllegalArgumentException("--out " + out + " already exists: choose another file, or --overwrite to replace it");
        }
        List<Path> files = sortedImages(images);
        Backbone vit = model.load();
        Tensor features = FeatureExtractor.extract(vit, new FileList(files), batchSize, workers);
        NpyWriter.write(out, features);
        System.out.printf("wrote %d x %d features to %s%n", features.size(0), features.size(1), out);
        return 0;
    }

    static List<Path> sortedImages(Path dir) throws IOException {
        if (!Files.exists(dir)) throw new java.nio.file.NoSuchFileException(dir.toString(), null, "image folder not found");
        if (!Files.isDirectory(dir)) throw new IOException(dir + " is not a folder");
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).filter(p -> ImageFiles.isImageName(p.getFileName().toString()))
                    .sorted((a, b) -> dir.relativize(a).toString().compareTo(dir.relativize(b).toString())).collect(Collectors.toList());
        }
        if (files.isEmpty()) throw new IOException("no images found in " + dir + " (looked for .jpg, .jpeg, .png, .bmp, .gif)");
        return files;
    }

    /** A plain list of files as an unlabelled dataset, in the given order. */
    static final class FileList implements dev.dinoj.dino.data.ImageDataset {
        private final List<Path> files;

        FileList(List<Path> files) {
            this.files = new ArrayList<>(files);
        }

        @Override
        public int size() {
            return files.size();
        }

        @Override
        public dev.dinoj.dino.data.Image image(int index) throws IOException {
            return ImageFiles.read(files.get(index));
        }

        @Override
        public int label(int index) {
            return -1;
        }

        @Override
        public List<String> classes() {
            return List.of();
        }

        @Override
        public String name(int index) {
            return files.get(index).getFileName().toString();
        }
    }
}
