package dev.dinoj.dino.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Opens a dataset from a path, recognising the standard file layouts:
 * <ol>
 * <li>an IDX images file (MNIST and friends; gzipped or not), with its labels file beside it by the
 *     standard naming (train-images-idx3-ubyte and train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
 *     t10k-labels-idx1-ubyte, also with .gz and in the "train-images.idx3-ubyte" spelling); without one
 *     the images are unlabelled;</li>
 * <li>a folder holding IDX images files (files whose names contain "idx" or "ubyte", recognised by their
 *     magic): the one there is, or of a train-* and a t10k-* (or test-*) file the split's;</li>
 * <li>a folder of CIFAR-10 binary batches (data_batch_1..5.bin for train, test_batch.bin for test) or of
 *     CIFAR-100 binaries (train.bin, test.bin), or a folder holding cifar-10-batches-bin or
 *     cifar-100-binary (the extracted archives), or one CIFAR batch file;</li>
 * <li>a folder with train/ and val/ (or test/) sub-folders: the split's sub-folder, opened by these rules;</li>
 * <li>otherwise an {@link ImageFolder}.</li>
 * </ol>
 * The split ("train", or "test" / "val", which mean the same) only chooses where the folder holds both
 * splits; a folder with one split gives that one whatever the split asked.
 */
public final class Datasets {
    private static final String LOOKED_FOR = "looked for an IDX images file (a name with 'idx' or 'ubyte', e.g. train-images-idx3-ubyte[.gz]), "
            + "CIFAR-10 binaries (data_batch_1..5.bin, test_batch.bin), CIFAR-100 binaries (train.bin, test.bin), the folders cifar-10-batches-bin "
            + "and cifar-100-binary, train/ + val/ (or test/) sub-folders, and image files (.jpg, .jpeg, .png, .bmp, .gif) in it or its sub-folders";
    private static final List<String> CIFAR_FOLDERS = List.of("cifar-10-batches-bin", "cifar-100-binary");

    private Datasets() {}

    /** The dataset at path (see the class comment for what is recognised); split is "train", "test" or "val". */
    public static ImageDataset open(Path path, String split) throws IOException {
        boolean train = isTrain(split);
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "dataset not found");
        if (!Files.isDirectory(path)) return openFile(path);

        List<Path> entries;
        try (Stream<Path> s = Files.list(path)) {
            entries = s.sorted().collect(Collectors.toList());
        }
        List<Path> idx = idxImages(entries);
        if (!idx.isEmpty()) return idx(pickIdx(path, idx, train, split));

        Optional<CifarDataset> cifar = cifar(path, entries, train);
        if (cifar.isPresent()) return cifar.get();
        List<Path> archives = entries.stream().filter(p -> CIFAR_FOLDERS.contains(p.getFileName().toString()) && Files.isDirectory(p))
                .collect(Collectors.toList());
        if (archives.size() > 1) {
            throw new IOException(path + " holds both " + archives.get(0).getFileName() + " and " + archives.get(1).getFileName() + "; give the one to open");
        }
        if (archives.size() == 1) {
            Path a = archives.get(0);
            List<Path> inner;
            try (Stream<Path> s = Files.list(a)) {
                inner = s.sorted().collect(Collectors.toList());
            }
            return cifar(a, inner, train).orElseThrow(() -> new IOException("no CIFAR binary batches in " + a + " (" + LOOKED_FOR + ")"));
        }
        if (entries.stream().anyMatch(p -> p.getFileName().toString().equals("cifar-10-batches-py") || p.getFileName().toString().equals("data_batch_1"))) {
            throw new IOException(path + " holds the Python (pickle) version of CIFAR, which is not read; use the binary version (cifar-10-binary.tar.gz, "
                    + "extracted to cifar-10-batches-bin)");
        }

        Path trainDir = path.resolve("train"), valDir = path.resolve("val"), testDir = path.resolve("test");
        if (Files.isDirectory(trainDir) && (Files.isDirectory(valDir) || Files.isDirectory(testDir))) {
            Path chosen = train ? trainDir : split.equals("test") && Files.isDirectory(testDir) ? testDir : Files.isDirectory(valDir) ? valDir : testDir;
            return open(chosen, split);
        }
        try {
            return new ImageFolder(path);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw new IOException("no dataset found in " + path + ": " + LOOKED_FOR + " (" + e.getMessage() + ")", e);
        }
    }

    /**
     * A labelled dataset for an option (--train, --eval-val, ...): errors name the option, and a
     * dataset without labels is refused saying what labels it needs.
     */
    public static ImageDataset openLabelled(Path path, String split, String option) throws IOException {
        ImageDataset d;
        try {
            d = open(path, split);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new java.nio.file.NoSuchFileException(path.toString(), null, option + ": dataset not found");
        } catch (IOException e) {
            throw new IOException(option + ": " + e.getMessage(), e);
        }
        if (!d.isLabelled()) {
            String hint = labelsFile(path).isPresent() || !path.getFileName().toString().contains("images") ? "class sub-folders or a labels file"
                    : "its labels file " + path.getFileName().toString().replace("images", "labels").replace("idx3", "idx1") + " beside it";
            throw new IOException(option + " " + path + " has no labels (" + hint + "): evaluation needs labelled images");
        }
        return d;
    }

    /** A labelled bank and labelled queries with the same classes (k-NN, linear probe, evaluation during training). */
    public record LabelledPair(ImageDataset train, ImageDataset val) {}

    /**
     * The labelled bank (the train split of {@code train}) and queries (the test/val split of {@code val})
     * for the options named: refused when they are the same file (every query would find itself) or
     * when their classes differ.
     */
    public static LabelledPair openLabelledPair(Path train, Path val, String trainOption, String valOption) throws IOException {
        if (Files.isRegularFile(train) && Files.exists(val) && train.toRealPath().equals(val.toRealPath())) {
            throw new IllegalArgumentException(trainOption + " and " + valOption + " are the same file (" + train
                    + "): every query would find itself; give held-out images to " + valOption);
        }
        ImageDataset bank = openLabelled(train, "train", trainOption), queries = openLabelled(val, "val", valOption);
        if (!bank.classes().equals(queries.classes())) {
            throw new IllegalArgumentException(trainOption + " classes " + bank.classes() + " differ from " + valOption + " classes " + queries.classes());
        }
        return new LabelledPair(bank, queries);
    }

    /** Whether split names the training split; "test" and "val" name the other. */
    static boolean isTrain(String split) {
        if ("train".equals(split)) return true;
        if ("test".equals(split) || "val".equals(split)) return false;
        throw new IllegalArgumentException("split must be train, test or val, got " + (split == null ? "null" : "'" + split + "'"));
    }

    private static ImageDataset openFile(Path file) throws IOException {
        String name = file.getFileName().toString();
        if (IdxDataset.hasMagic(file, IdxDataset.IMAGES_MAGIC)) return idx(file);
        if (IdxDataset.hasMagic(file, IdxDataset.LABELS_MAGIC)) {
            throw new IOException(file + " is an IDX labels file; open the images file (e.g. " + name.replace("labels", "images").replace("idx1", "idx3") + ")");
        }
        if (CifarDataset.CIFAR10_TRAIN.contains(name) || name.equals(CifarDataset.CIFAR10_TEST)) {
            return new CifarDataset(CifarDataset.Kind.CIFAR10, List.of(file));
        }
        if (name.equals(CifarDataset.CIFAR100_TRAIN) || name.equals(CifarDataset.CIFAR100_TEST)) {
            return new CifarDataset(CifarDataset.Kind.CIFAR100, List.of(file));
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.contains("idx") || lower.contains("ubyte")) return idx(file); // named like IDX: let its reader say what is wrong
        String what = ImageFiles.isImageName(name) ? "one image, not a dataset (give the folder that holds it)" : "not a dataset file";
        throw new IOException(file + " is " + what + ": " + LOOKED_FOR);
    }

    private static IdxDataset idx(Path images) throws IOException {
        return new IdxDataset(images, labelsFile(images).orElse(null));
    }

    /**
     * The labels file beside an IDX images file by the standard naming ("images" -> "labels", "idx3" ->
     * "idx1", with or without .gz, the uncompressed one first), if there is one.
     */
    public static Optional<Path> labelsFile(Path images) {
        String name = images.getFileName().toString();
        String base = name.toLowerCase(Locale.ROOT).endsWith(".gz") ? name.substring(0, name.length() - 3) : name;
        String labels = base.replace("images", "labels").replace("idx3", "idx1");
        if (labels.equals(base)) return Optional.empty();
        for (String candidate : List.of(labels, labels + ".gz")) {
            Path p = images.resolveSibling(candidate);
            if (Files.isRegularFile(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** The IDX images files among entries; of a file present both raw and gzipped, the raw one. */
    private static List<Path> idxImages(List<Path> entries) {
        List<Path> out = new ArrayList<>();
        for (Path p : entries) {
            String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
            if ((n.contains("idx") || n.contains("ubyte")) && IdxDataset.hasMagic(p, IdxDataset.IMAGES_MAGIC)) out.add(p);
        }
        out.removeIf(p -> {
            String n = p.getFileName().toString();
            return n.toLowerCase(Locale.ROOT).endsWith(".gz") && out.contains(p.resolveSibling(n.substring(0, n.length() - 3)));
        });
        return out;
    }

    private static Path pickIdx(Path folder, List<Path> images, boolean train, String split) throws IOException {
        if (images.size() == 1) return images.get(0);
        List<Path> trainFiles = new ArrayList<>(), testFiles = new ArrayList<>();
        for (Path p : images) {
            String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
            if (n.contains("train")) trainFiles.add(p);
            else if (n.contains("t10k") || n.contains("test") || n.contains("val")) testFiles.add(p);
        }
        List<Path> chosen = train ? trainFiles : testFiles;
        if (trainFiles.size() + testFiles.size() == images.size() && chosen.size() == 1) return chosen.get(0);
        throw new IOException("cannot tell which IDX images file in " + folder + " is the " + split + " split: " + names(images)
                + " (expected one train-* and one t10k-*, test-* or val-* file)");
    }

    /** The CIFAR batches of the split in folder, or of the split it has when it holds one; empty when it holds none. */
    private static Optional<CifarDataset> cifar(Path folder, List<Path> entries, boolean train) throws IOException {
        List<Path> c10train = new ArrayList<>(), c10test = new ArrayList<>(), c100train = new ArrayList<>(), c100test = new ArrayList<>();
        for (Path p : entries) {
            if (!Files.isRegularFile(p)) continue;
            String n = p.getFileName().toString();
            if (CifarDataset.CIFAR10_TRAIN.contains(n)) c10train.add(p);
            else if (n.equals(CifarDataset.CIFAR10_TEST)) c10test.add(p);
            else if (n.equals(CifarDataset.CIFAR100_TRAIN)) c100train.add(p);
            else if (n.equals(CifarDataset.CIFAR100_TEST)) c100test.add(p);
        }
        boolean c10 = !c10train.isEmpty() || !c10test.isEmpty(), c100 = !c100train.isEmpty() || !c100test.isEmpty();
        if (c10 && c100) throw new IOException(folder + " holds both CIFAR-10 batches (data_batch_*.bin, test_batch.bin) and CIFAR-100 files (train.bin, test.bin)");
        if (!c10 && !c100) return Optional.empty();
        List<Path> trainFiles = c10 ? c10train : c100train, testFiles = c10 ? c10test : c100test;
        List<Path> files = (train && !trainFiles.isEmpty()) || testFiles.isEmpty() ? trainFiles : testFiles;
        // CifarDataset.CIFAR10_TRAIN is in batch order, and entries are sorted by name: data_batch_1..5 come in order
        return Optional.of(new CifarDataset(c10 ? CifarDataset.Kind.CIFAR10 : CifarDataset.Kind.CIFAR100, files));
    }

    private static String names(List<Path> files) {
        return files.stream().map(p -> p.getFileName().toString()).collect(Collectors.joining(", "));
    }
}
