package dev.dinoj.dino.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Images and labels in the IDX format of MNIST, Fashion-MNIST, KMNIST and EMNIST: an images file
 * (magic 0x00000803: unsigned bytes, 3 dimensions N x rows x columns, big-endian sizes, then the
 * pixels row by row) and optionally a labels file (magic 0x00000801: N unsigned bytes). Either file may
 * be gzipped (recognised by its first bytes, 1f 8b, whatever its name). Images come out as three
 * identical planes of value / 255, as PIL's convert('RGB') of a grey picture; the label is the stored
 * value and the classes are "0" up to the largest label, so a test file that lacks a class still numbers
 * classes as its training file does. The pixels are kept as bytes (47 MB for MNIST's training set).
 *
 * <p>Both files are checked when opened: magic, dimensions, length against the header (a truncated
 * file names the bytes expected and found), label count against image count. Each problem is one
 * IOException naming the file.
 */
public final class IdxDataset implements ImageDataset {
    public static final int IMAGES_MAGIC = 0x00000803, LABELS_MAGIC = 0x00000801;

    private final Path imagesFile;
    private final int count, rows, columns;
    private final byte[] pixels;
    private final byte[] labels; // null when unlabelled
    private final List<String> classes;

    /** The images file alone: unlabelled. */
    public IdxDataset(Path images) throws IOException {
        this(images, null);
    }

    /** An images file and its labels file (null: unlabelled). */
    public IdxDataset(Path images, Path labelsFile) throws IOException {
        this.imagesFile = images;
        int[] dims = new int[3];
        this.pixels = read(images, IMAGES_MAGIC, dims, "images");
        this.count = dims[0];
        this.rows = dims[1];
        this.columns = dims[2];
        if (labelsFile == null) {
            this.labels = null;
            this.classes = List.of();
        } else {
            int[] n = new int[1];
            this.labels = read(labelsFile, LABELS_MAGIC, n, "labels");
            if (n[0] != count) {
                throw new IOException("IDX labels file " + labelsFile + " has " + n[0] + " labels but images file " + images + " has " + count + " images");
            }
            int max = 0;
            for (byte b : labels) max = Math.max(max, b & 0xFF);
            List<String> names = new ArrayList<>(max + 1);
            for (int c = 0; c <= max; c++) names.add(Integer.toString(c));
            this.classes = Collections.unmodifiableList(names);
        }
    }

    /**
     * Whether file starts as an IDX file with the given magic (gzipped or not); false for a file too short to
     * tell or unreadable as gzip.
     */
    public static boolean hasMagic(Path file, int magic) {
        if (!Files.isRegularFile(file)) return false;
        try (DataInputStream in = new DataInputStream(open(file))) {
            return in.readInt() == magic;
        } catch (IOException e) {
            return false;
        }
    }

    /** The file's bytes, decompressed when it starts with the gzip magic 1f 8b. */
    static InputStream open(Path file) throws IOException {
        BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        in.mark(2);
        int b0 = in.read(), b1 = in.read();
        in.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            try {
                return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
            } catch (IOException e) {
                in.close();
                throw new IOException("IDX file " + file + " starts like gzip but is not a readable gzip stream: " + e.getMessage(), e);
            }
        }
        return in;
    }

    /** Reads and checks one IDX file of unsigned bytes with dims.length dimensions; fills dims; returns the data bytes. */
    private static byte[] read(Path file, int magic, int[] dims, String what) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "IDX " + what + " file not found");
        boolean gzipped = isGzip(file);
        String where = "IDX " + what + " file " + file;
        try (InputStream raw = open(file)) {
            DataInputStream in = new DataInputStream(raw);
            int header = 4 + 4 * dims.length;
            int m;
            try {
                m = in.readInt();
            } catch (EOFException e) {
                throw new IOException(where + " is too short for an IDX header (" + header + " bytes)", e);
            }
            if (m != magic) {
                String found = String.format("0x%08X", m);
                String hint = (m >>> 16) != 0 ? "not an IDX file"
                        : ((m >>> 8) & 0xFF) != 0x08 ? "IDX data of type 0x" + Integer.toHexString((m >>> 8) & 0xFF) + "; only unsigned bytes (0x08) are read"
                        : (m & 0xFF) + " dimensions where " + what + " have " + dims.length;
                throw new IOException(where + " has magic " + found + ", expected " + String.format("0x%08X", magic) + " (" + hint + ")");
            }
            long total = 1;
            for (int i = 0; i < dims.length; i++) {
                try {
                    dims[i] = in.readInt();
                } catch (EOFException e) {
                    throw new IOException(where + " is too short for an IDX header (" + header + " bytes)", e);
                }
                if (dims[i] <= 0) throw new IOException(where + " declares size " + Integer.toUnsignedString(dims[i]) + " in dimension " + i + " (must be positive)");
                total *= dims[i];
                if (total > Integer.MAX_VALUE - 16) throw new IOException(where + " declares " + shape(dims, i + 1) + " = more than 2^31 bytes, too large to read");
            }
            long expected = header + total;
            String truncated = where + " is truncated: its header (" + shape(dims, dims.length) + ") needs " + expected + " bytes";
            String extra = where + " has more than the " + expected + " bytes its header (" + shape(dims, dims.length) + ") declares";
            byte[] data;
            if (!gzipped) { // the length is known before anything is allocated
                long size = Files.size(file);
                if (size < expected) throw new IOException(truncated + ", it has " + size);
                if (size > expected) throw new IOException(extra + ": it has " + size);
                data = in.readNBytes((int) total);
                if (data.length < total) throw new IOException(truncated + ", could read " + (header + data.length)); // shrank while read
            } else {
                long[] got = {0};
                try {
                    data = readUpTo(in, (int) total, got);
                } catch (EOFException e) {
                    throw new IOException(truncated + " decompressed, its gzip stream ends early after " + (header + got[0]) + " (" + e.getMessage() + ")", e);
                }
                if (data.length < total) throw new IOException(truncated + " decompressed, it has " + (header + data.length));
                if (in.read() != -1) throw new IOException(extra + " (decompressed)");
            }
            return data;
        } catch (EOFException e) { // the gzip trailer cut off after complete data
            throw new IOException(where + " is truncated: its gzip stream ends early (" + e.getMessage() + ")", e);
        } catch (java.util.zip.ZipException e) {
            throw new IOException(where + " is not a valid gzip stream: " + e.getMessage(), e);
        }
    }

    /**
     * Up to n bytes of in, allocated as they arrive, so a header that overstates the size costs no more
     * memory than the data there is; got[0] counts the bytes read, also when the stream fails.
     */
    private static byte[] readUpTo(InputStream in, int n, long[] got) throws IOException {
        List<byte[]> chunks = new ArrayList<>();
        int total = 0;
        while (total < n) {
            byte[] chunk = new byte[Math.min(n - total, 1 << 20)];
            int filled = 0;
            while (filled < chunk.length) {
                int k = in.read(chunk, filled, chunk.length - filled);
                if (k < 0) break;
                filled += k;
                got[0] += k;
            }
            chunks.add(chunk);
            total += filled;
            if (filled < chunk.length) break;
        }
        byte[] out = new byte[total];
        int o = 0;
        for (byte[] c : chunks) {
            int len = Math.min(c.length, total - o);
            System.arraycopy(c, 0, out, o, len);
            o += len;
        }
        return out;
    }

    private static boolean isGzip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }

    private static String shape(int[] dims, int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) s.append(i == 0 ? "" : " x ").append(Integer.toUnsignedString(dims[i]));
        return s.toString();
    }

    public Path imagesFile() {
        return imagesFile;
    }

    public int rows() {
        return rows;
    }

    public int columns() {
        return columns;
    }

    /** Pixel (y, x) of image i as stored, 0..255. */
    public int pixel(int index, int y, int x) {
        return pixels[(index * rows + y) * columns + x] & 0xFF;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public Image image(int index) {
        check(index);
        int p = rows * columns, o = index * p;
        float[] d = new float[3 * p];
        for (int i = 0; i < p; i++) d[i] = (pixels[o + i] & 0xFF) / 255f;
        System.arraycopy(d, 0, d, p, p);
        System.arraycopy(d, 0, d, 2 * p, p);
        return new Image(columns, rows, d);
    }

    @Override
    public int label(int index) {
        check(index);
        return labels == null ? -1 : labels[index] & 0xFF;
    }

    @Override
    public List<String> classes() {
        return classes;
    }

    @Override
    public String name(int index) {
        check(index);
        return imagesFile.getFileName() + "#" + index;
    }

    private void check(int index) {
        if (index < 0 || index >= count) throw new IndexOutOfBoundsException("IDX dataset " + imagesFile + ": index " + index + " is outside [0, " + count + ")");
    }
}
