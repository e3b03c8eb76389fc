package dev.dinoj.dino.cli;

import dev.dinoj.dino.VisionTransformer;
import dev.dinoj.dino.data.ImageFiles;
import dev.dinoj.dino.eval.AttentionMaps;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "attention", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = {"Writes attention maps of the last block as PNG pictures.",
            "For each image: the cls-to-patch attention of every head (NAME-headH.png) and an overlay of their",
            "mean on the image (NAME-overlay.png). NAME is the image's path under --images without its extension",
            "(with it where two images would share a name); existing files are not overwritten without --overwrite."})
final class AttentionCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;
    @Option(names = "--images", required = true, description = "an image file, or a folder of images (searched recursively)")
    Path images;
    @Option(names = "--out", required = true, description = "output folder (created if needed)")
    Path out;

    @Option(names = "--overwrite", description = "replace maps already in --out")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        boolean single = Files.isRegularFile(images);
        List<Path> files = single ? List.of(images) : EmbedCommand.sortedImages(images);
        Path root = single ? images.toAbsolutePath().getParent() : images;
        List<String> names = outputNames(root, files);
        VisionTransformer vit = model.loadVit("attention maps");
        int heads = vit.config().heads;
        // every target is known before the first is written: nothing the user had is replaced unasked
        if (!overwrite) {
            List<Path> existing = new ArrayList<>();
            for (String n : names) {
                for (int h = 0; h < heads; h++) if (Files.exists(out.resolve(n + "-head" + h + ".png"))) existing.add(out.resolve(n + "-head" + h + ".png"));
                if (Files.exists(out.resolve(n + "-overlay.png"))) existing.add(out.resolve(n + "-overlay.png"));
            }
            if (!existing.isEmpty()) {
                throw new IllegalArgumentException("--out " + out + " already holds " + existing.size() + " of these maps (" + existing.get(0)
                        + (existing.size() > 1 ? ", ..." : "") + "): choose another --out, or --overwrite to replace them");
            }
        }
        for (int i = 0; i < files.size(); i++) {
            Path target = out.resolve(names.get(i));
            Files.createDirectories(target.getParent() == null ? out : target.getParent());
            AttentionMaps.write(vit, ImageFiles.read(files.get(i)), out, names.get(i));
        }
        System.out.printf("wrote attention maps of %d image(s), %d heads each, to %s%n", files.size(), heads, out);
        return 0;
    }

    /**
     * Each image's output name: its path under root without the extension, or with it for images that
     * would otherwise share a name ({@code x.png} and {@code x.jpg}); '/' separated.
     */
    static List<String> outputNames(Path root, List<Path> files) {
        List<String> stems = new ArrayList<>();
        Map<String, Integer> count = new HashMap<>();
        for (Path f : files) {
            String rel = root.toAbsolutePath().relativize(f.toAbsolutePath()).toString().replace(java.io.File.separatorChar, '/');
            String stem = rel.replaceFirst("\\.[^./]+$", "");
            stems.add(stem);
            count.merge(stem, 1, Integer::sum);
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            String stem = stems.get(i);
            names.add(count.get(stem) > 1 ? root.toAbsolutePath().relativize(files.get(i).toAbsolutePath()).toString()
                    .replace(java.io.File.separatorChar, '/') : stem);
        }
        // x.png, x.jpg and x.png.jpg: the third's stem is the first's full name
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            Integer before = seen.put(names.get(i), i);
            if (before != null) {
                throw new IllegalArgumentException("--images: " + files.get(before) + " and " + files.get(i) + " would get the same map names ("
                        + names.get(i) + "-*.png); rename one");
            }
        }
        return names;
    }
}
