package dev.dinoj.dino.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * CIFAR-10 and CIFAR-100 in their binary versions (cifar-10-batches-bin, cifar-100-binary): files of
 * fixed-size records, each the label byte(s) then 3072 bytes of pixels, the 32 x 32 red plane, green
 * plane, blue plane, rows top to bottom. A CIFAR-10 record has one label byte (0..9); a CIFAR-100
 * record has two, the coarse (0..19) then the fine (0..99) label, and the fine one is used, as by
 * torchvision's CIFAR100. Class names come from batches.meta.txt (CIFAR-10) or fine_label_names.txt
 * (CIFAR-100) beside the batches, one per line; without that file they are the numbers.
 * The records are kept as bytes (154 MB for CIFAR-10's five training batches). Each problem (a size
 * that is not a whole number of records, a label out of range) is one IOException naming the file.
 */
public final class CifarDataset implements ImageDataset {
    public static final int SIDE = 32, PIXELS = 3 * SIDE * SIDE;

    /** The two record layouts. */
    public enum Kind {
        CIFAR10("CIFAR-10", 1, 10, "batches.meta.txt"),
        CIFAR100("CIFAR-100", 2, 100, "fine_label_names.txt");

        final String title;
        final int labelBytes, classCount;
        final String namesFile;

        Kind(String title, int labelBytes, int classCount, String namesFile) {
            this.title = title;
            this.labelBytes = labelBytes;
            this.classCount = classCount;
            this.namesFile = namesFile;
        }

        @Override
        public String toString() {
            return title;
        }

        public int recordBytes() {
            return labelBytes + PIXELS;
        }
    }

    /** The standard file names of each split. */
    static final List<String> CIFAR10_TRAIN = List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
    static final String CIFAR10_TEST = "test_batch.bin", CIFAR100_TRAIN = "train.bin", CIFAR100_TEST = "test.bin";

    private final Kind kind;
    private final List<Path> files;
    private final List<byte[]> data = new ArrayList<>();
    private final int[] firstRecord; // index of each file's first record, and the total at the end
    private final List<String> classes;

    /** The records of files, in order; class names from the kind's names file in the first file's folder. */
    public CifarDataset(Kind kind, List<Path> files) throws IOException {
        if (files.isEmpty()) throw new IllegalArgumentException("CIFAR dataset: no batch files given");
        this.kind = kind;
        this.files = List.copyOf(files);
        this.firstRecord = new int[files.size() + 1];
        int rec = kind.recordBytes();
        for (int f = 0; f < files.size(); f++) {
            Path file = files.get(f);
            if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "CIFAR batch file not found");
            long size = Files.size(file);
            if (size == 0) throw new IOException("CIFAR file " + file + " is empty");
            if (size % rec != 0) {
                Kind other = kind == Kind.CIFAR10 ? Kind.CIFAR100 : Kind.CIFAR10;
                throw new IOException("CIFAR file " + file + " has " + size + " bytes, not a whole number of " + rec + "-byte " + kind + " records ("
                        + kind.labelBytes + " label byte" + (kind.labelBytes == 1 ? "" : "s") + " + " + PIXELS + " pixel bytes; " + size / rec
                        + " records and " + size % rec + " bytes over): truncated, or not a " + kind + " binary batch"
                        + (size % other.recordBytes() == 0 ? " (its size fits " + other + " records)" : ""));
            }
            if ((long) firstRecord[f] + size / rec > Integer.MAX_VALUE) throw new IOException("CIFAR files hold more than 2^31 records: " + files);
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length != size) throw new IOException("CIFAR file " + file + " changed size while read (" + size + " then " + bytes.length + " bytes)");
            int records = bytes.length / rec;
            for (int r = 0; r < records; r++) {
                for (int b = 0; b < kind.labelBytes; b++) {
                    int v = bytes[r * rec + b] & 0xFF, limit = kind == Kind.CIFAR100 && b == 0 ? 20 : kind.classCount;
                    if (v >= limit) {
                        throw new IOException("CIFAR file " + file + ": record " + r + " has " + (kind == Kind.CIFAR100 ? (b == 0 ? "coarse " : "fine ") : "")
                                + "label " + v + ", outside 0.." + (limit - 1) + " of " + kind + " (not a " + kind + " binary batch?)");
                    }
                }
            }
            data.add(bytes);
            firstRecord[f + 1] = firstRecord[f] + records;
        }
        this.classes = Collections.unmodifiableList(classNames(kind, files.get(0).toAbsolutePath().getParent()));
    }

    /** The names file's non-blank lines when it has one per class; else "0", "1", ... */
    private static List<String> classNames(Kind kind, Path folder) throws IOException {
        Path names = folder == null ? null : folder.resolve(kind.namesFile);
        List<String> out = new ArrayList<>();
        if (names != null && Files.isRegularFile(names)) {
            for (String line : Files.readAllLines(names, StandardCharsets.UTF_8)) if (!line.isBlank()) out.add(line.strip());
            if (out.size() != kind.classCount) {
                throw new IOException("CIFAR class names file " + names + " has " + out.size() + " names, expected " + kind.classCount + " for " + kind);
            }
            return out;
        }
        for (int c = 0; c < kind.classCount; c++) out.add(Integer.toString(c));
        return out;
    }

    /**
     * The standard files of one split in a cifar-10-batches-bin or cifar-100-binary folder: for CIFAR-10,
     * data_batch_1..5.bin (those present) for "train" and test_batch.bin for "test" or "val"; for
     * CIFAR-100, train.bin or test.bin.
     */
    public static CifarDataset open(Kind kind, Path folder, String split) throws IOException {
        boolean train = Datasets.isTrain(split);
        List<Path> files = new ArrayList<>();
        if (kind == Kind.CIFAR10) {
            if (train) {
                for (String n : CIFAR10_TRAIN) if (Files.isRegularFile(folder.resolve(n))) files.add(folder.resolve(n));
            } else if (Files.isRegularFile(folder.resolve(CIFAR10_TEST))) {
                files.add(folder.resolve(CIFAR10_TEST));
            }
        } else {
            Path f = folder.resolve(train ? CIFAR100_TRAIN : CIFAR100_TEST);
            if (Files.isRegularFile(f)) files.add(f);
        }
        if (files.isEmpty()) {
            String wanted = kind == Kind.CIFAR10 ? (train ? "data_batch_1.bin .. data_batch_5.bin" : CIFAR10_TEST) : (train ? CIFAR100_TRAIN : CIFAR100_TEST);
            throw new NoSuchFileException(folder.toString(), null, "no " + kind + " " + split + " files (" + wanted + ") in it");
        }
        return new CifarDataset(kind, files);
    }

    public Kind kind() {
        return kind;
    }

    public List<Path> files() {
        return files;
    }

    @Override
    public int size() {
        return firstRecord[files.size()];
    }

    @Override
    public Image image(int index) {
        int f = file(index), o = (index - firstRecord[f]) * kind.recordBytes() + kind.labelBytes;
        byte[] b = data.get(f);
        float[] d = new float[PIXELS];
        for (int i = 0; i < PIXELS; i++) d[i] = (b[o + i] & 0xFF) / 255f; // R, G and B planes, as Image stores them
        return new Image(SIDE, SIDE, d);
    }

    @Override
    public int label(int index) {
        int f = file(index);
        return data.get(f)[(index - firstRecord[f]) * kind.recordBytes() + kind.labelBytes - 1] & 0xFF;
    }

    /** CIFAR-100's coarse label (superclass, 0..19) of image i. */
    public int coarseLabel(int index) {
        if (kind != Kind.CIFAR100) throw new UnsupportedOperationException("CIFAR-10 records have no coarse label");
        int f = file(index);
        return data.get(f)[(index - firstRecord[f]) * kind.recordBytes()] & 0xFF;
    }

    @Override
    public List<String> classes() {
        return classes;
    }

    @Override
    public String name(int index) {
        int f = file(index);
        return files.get(f).getFileName() + "#" + (index - firstRecord[f]);
    }

    private int file(int index) {
        if (index < 0 || index >= size()) throw new IndexOutOfBoundsException("CIFAR dataset: index " + index + " is outside [0, " + size() + ")");
        int f = java.util.Arrays.binarySearch(firstRecord, index); // strictly increasing: no file is empty
        return f >= 0 ? f : -f - 2;
    }
}
