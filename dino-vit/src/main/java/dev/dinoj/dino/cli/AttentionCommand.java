package dev.dinoj.dino.cli;

import dev.dinoj.dino.VisionTransformer;
import dev.dinoj.dino.data.ImageFiles;
import dev.dinoj.dino.eval.AttentionMaps;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "attention", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = {"Writes attention maps of the last block as PNG pictures.",
            "For each image: the cls-to-patch attention of every head (NAME-headH.png) and an overlay of their",
            "mean on the image (NAME-overlay.png)."})
final class AttentionCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;
    @Option(names = "--images", required = true, description = "an image file, or a folder of images (searched recursively)")
    Path images;
    @Option(names = "--out", required = true, description = "output folder (created if needed)")
    Path out;

    @Override
    public Integer call() throws Exception {
        List<Path> files = Files.isRegularFile(images) ? List.of(images) : EmbedCommand.sortedImages(images);
        VisionTransformer vit = model.load();
        Files.createDirectories(out);
        for (Path f : files) {
            String name = f.getFileName().toString().replaceFirst("\\.[^.]+$", "");
            AttentionMaps.write(vit, ImageFiles.read(f), out, name);
        }
        System.out.printf("wrote attention maps of %d image(s), %d heads each, to %s%n", files.size(), vit.config().heads, out);
        return 0;
    }
}
