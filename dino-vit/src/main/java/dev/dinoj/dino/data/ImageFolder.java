package dev.dinoj.dino.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Images in a folder. Each sub-folder is a class (sorted by name; images anywhere below it belong to
 * it), as torchvision's ImageFolder; images directly in the root are unlabelled (label -1), so an
 * unlabelled folder of pictures works for training.
 */
public final class ImageFolder implements ImageDataset {
    private final Path root;
    private final List<Path> files = new ArrayList<>();
    private final List<Integer> labels = new ArrayList<>();
    private final List<String> classes = new ArrayList<>();

    public ImageFolder(Path root) throws IOException {
        this.root = root;
        if (!Files.exists(root)) throw new NoSuchFileException(root.toString(), null, "image folder not found");
        if (!Files.isDirectory(root)) throw new IOException(root + " is not a folder of images");
        List<Path> direct = new ArrayList<>(), dirs = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            for (Path p : s.sorted().collect(Collectors.toList())) {
                if (Files.isDirectory(p)) dirs.add(p);
                else if (ImageFiles.isImageName(p.getFileName().toString())) direct.add(p);
            }
        }
        for (Path p : direct) {
            files.add(p);
            labels.add(-1);
        }
        for (Path d : dirs) {
            List<Path> imgs;
            try (Stream<Path> s = Files.walk(d)) {
                imgs = s.filter(Files::isRegularFile).filter(p -> ImageFiles.isImageName(p.getFileName().toString())).sorted()
                        .collect(Collectors.toList());
            }
            if (imgs.isEmpty()) continue;
            int label = classes.size();
            classes.add(d.getFileName().toString());
            for (Path p : imgs) {
                files.add(p);
                labels.add(label);
            }
        }
        if (files.isEmpty()) {
            throw new IOException("no images found in " + root + " (looked for .jpg, .jpeg, .png, .bmp, .gif in it and in its sub-folders)");
        }
        if (!direct.isEmpty() && !classes.isEmpty()) classes.clear(); // mixed: treat everything as unlabelled
        if (classes.isEmpty()) for (int i = 0; i < labels.size(); i++) labels.set(i, -1);
    }

    private ImageFolder(Path root, List<Path> files, List<Integer> labels, List<String> classes) {
        this.root = root;
        this.files.addAll(files);
        this.labels.addAll(labels);
        this.classes.addAll(classes);
    }

    /** What is wrong with each image whose header cannot be read (format, size, pixel limit), by index; cheap: no pixels are decoded. */
    public java.util.Map<Integer, String> unreadable() {
        java.util.Map<Integer, String> bad = new java.util.TreeMap<>();
        for (int i = 0; i < files.size(); i++) {
            try {
                ImageFiles.checkHeader(files.get(i));
            } catch (IOException e) {
                bad.put(i, e.getMessage());
            }
        }
        return bad;
    }

    /** The same folder without the images at {@code indices} (the classes stay). */
    public ImageFolder without(java.util.Set<Integer> indices) {
        List<Path> f = new ArrayList<>();
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            if (indices.contains(i)) continue;
            f.add(files.get(i));
            l.add(labels.get(i));
        }
        if (f.isEmpty()) throw new IllegalArgumentException("no readable images left in " + root);
        return new ImageFolder(root, f, l, classes);
    }

    public Path root() {
        return root;
    }

    public Path file(int i) {
        return files.get(i);
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public Image image(int index) throws IOException {
        return ImageFiles.read(files.get(index));
    }

    @Override
    public int label(int index) {
        return labels.get(index);
    }

    @Override
    public List<String> classes() {
        return classes;
    }

    @Override
    public String name(int index) {
        return root.relativize(files.get(index)).toString();
    }
}
