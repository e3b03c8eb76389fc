package dev.dinoj.dino.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

class IdxDatasetTest {
    @TempDir
    Path dir;

    /** An IDX images file of n images rows x cols with pixel (i, y, x) = pixel(i, y, x). */
    static byte[] images(int n, int rows, int cols) {
        ByteBuffer b = ByteBuffer.allocate(16 + n * rows * cols);
        b.putInt(IdxDataset.IMAGES_MAGIC).putInt(n).putInt(rows).putInt(cols);
        for (int i = 0; i < n; i++) for (int y = 0; y < rows; y++) for (int x = 0; x < cols; x++) b.put((byte) pixel(i, y, x));
        return b.array();
    }

    static int pixel(int i, int y, int x) {
        return (i * 31 + y * 17 + x * 5 + (i == 0 && y == 0 && x == 0 ? 128 : 0)) & 0xFF;
    }

    static byte[] labels(int... values) {
        ByteBuffer b = ByteBuffer.allocate(8 + values.length);
        b.putInt(IdxDataset.LABELS_MAGIC).putInt(values.length);
        for (int v : values) b.put((byte) v);
        return b.array();
    }

    static byte[] gzip(byte[] data) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (GZIPOutputStream z = new GZIPOutputStream(out)) {
                z.write(data);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path write(String name, byte[] data) throws IOException {
        return Files.write(dir.resolve(name), data);
    }

    @Test
    void rawAndGzippedFilesGiveTheSameGreyImagesAndLabels() throws IOException {
        int[] l = {3, 0, 9, 9, 1};
        IdxDataset raw = new IdxDataset(write("train-images-idx3-ubyte", images(5, 4, 3)), write("train-labels-idx1-ubyte", labels(l)));
        // gzipped under names that do not say so: recognised by the gzip magic
        IdxDataset gz = new IdxDataset(write("a", gzip(images(5, 4, 3))), write("b", gzip(labels(l))));
        for (IdxDataset d : new IdxDataset[] {raw, gz}) {
            assertThat(d.size()).isEqualTo(5);
            assertThat(d.rows()).isEqualTo(4);
            assertThat(d.columns()).isEqualTo(3);
            assertThat(d.labels()).containsExactly(l);
            assertThat(d.classes()).containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
            for (int i = 0; i < 5; i++) {
                Image im = d.image(i);
                assertThat(im.width).isEqualTo(3);
                assertThat(im.height).isEqualTo(4);
                assertThat(im.isGrey()).isTrue();
                for (int y = 0; y < 4; y++) for (int x = 0; x < 3; x++) assertThat(im.get(0, y, x)).isEqualTo(pixel(i, y, x) / 255f);
            }
        }
        assertThat(raw.image(0).get(2, 0, 0)).isEqualTo(128f / 255f);
        assertThat(raw.name(2)).isEqualTo("train-images-idx3-ubyte#2");
        assertThatThrownBy(() -> raw.image(5)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("outside [0, 5)");
    }

    @Test
    void withoutALabelsFileTheImagesAreUnlabelled() throws IOException {
        IdxDataset d = new IdxDataset(write("x", images(2, 2, 2)));
        assertThat(d.isLabelled()).isFalse();
        assertThat(d.label(1)).isEqualTo(-1);
    }

    @Test
    void classesRunFromZeroToTheLargestLabelSoSplitsAgree() throws IOException {
        IdxDataset d = new IdxDataset(write("i", images(3, 1, 1)), write("l", labels(0, 4, 2)));
        assertThat(d.classes()).containsExactly("0", "1", "2", "3", "4");
        assertThat(d.labels()).containsExactly(0, 4, 2);
    }

    @Test
    void truncatedAndOverlongFilesNameTheByteCounts() throws IOException {
        byte[] full = images(4, 3, 3); // 16 + 36 bytes
        Path cut = write("cut-images-idx3-ubyte", Arrays.copyOf(full, 40));
        assertThatThrownBy(() -> new IdxDataset(cut)).isInstanceOf(IOException.class)
                .hasMessageContaining(cut.toString()).hasMessageContaining("truncated").hasMessageContaining("4 x 3 x 3")
                .hasMessageContaining("52").hasMessageContaining("40");
        Path cutGz = write("cutgz", gzip(Arrays.copyOf(full, 40)));
        assertThatThrownBy(() -> new IdxDataset(cutGz)).isInstanceOf(IOException.class)
                .hasMessageContaining(cutGz.toString()).hasMessageContaining("52").hasMessageContaining("40");
        byte[] gz = gzip(full);
        Path cutStream = write("cutstream", Arrays.copyOf(gz, gz.length - 12)); // the gzip stream itself cut short
        assertThatThrownBy(() -> new IdxDataset(cutStream)).isInstanceOf(IOException.class)
                .hasMessageContaining(cutStream.toString()).hasMessageContaining("truncated");
        Path longer = write("long", Arrays.copyOf(full, 60));
        assertThatThrownBy(() -> new IdxDataset(longer)).isInstanceOf(IOException.class)
                .hasMessageContaining(longer.toString()).hasMessageContaining("52").hasMessageContaining("60");
        Path header = write("header", Arrays.copyOf(full, 10));
        assertThatThrownBy(() -> new IdxDataset(header)).isInstanceOf(IOException.class).hasMessageContaining("header");
        Path labelsCut = write("labels-cut", Arrays.copyOf(labels(1, 2, 3, 4), 10));
        assertThatThrownBy(() -> new IdxDataset(write("ok", full), labelsCut)).isInstanceOf(IOException.class)
                .hasMessageContaining("labels-cut").hasMessageContaining("12").hasMessageContaining("10");
    }

    @Test
    void wrongMagicDimensionsAndCountsAreRefused() throws IOException {
        Path imgs = write("imgs", images(3, 2, 2));
        Path labels = write("labels", labels(1, 2, 3));
        assertThatThrownBy(() -> new IdxDataset(labels)).isInstanceOf(IOException.class)
                .hasMessageContaining("magic 0x00000801, expected 0x00000803").hasMessageContaining("1 dimensions");
        assertThatThrownBy(() -> new IdxDataset(imgs, imgs)).isInstanceOf(IOException.class).hasMessageContaining("labels file");
        byte[] floats = images(3, 2, 2);
        floats[2] = 0x0D;
        assertThatThrownBy(() -> new IdxDataset(write("floats", floats))).hasMessageContaining("type 0xd").hasMessageContaining("unsigned bytes");
        Path png = write("pic.png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 0, 0, 0, 0, 0});
        assertThatThrownBy(() -> new IdxDataset(png)).hasMessageContaining("not an IDX file").hasMessageContaining("pic.png");
        byte[] zeroRows = images(3, 2, 2);
        ByteBuffer.wrap(zeroRows).putInt(8, 0);
        assertThatThrownBy(() -> new IdxDataset(write("zero", zeroRows))).hasMessageContaining("size 0 in dimension 1");
        byte[] huge = images(1, 1, 1);
        ByteBuffer.wrap(huge).putInt(4, 100000).putInt(8, 100000).putInt(12, 100000);
        assertThatThrownBy(() -> new IdxDataset(write("huge", huge))).hasMessageContaining("too large");
        assertThatThrownBy(() -> new IdxDataset(imgs, write("four", labels(1, 2, 3, 4)))).isInstanceOf(IOException.class)
                .hasMessageContaining("4 labels").hasMessageContaining("3 images");
        assertThatThrownBy(() -> new IdxDataset(dir.resolve("missing"))).isInstanceOf(NoSuchFileException.class).hasMessageContaining("missing");
        Path notGzip = write("notgz", new byte[] {0x1f, (byte) 0x8b, 1, 2, 3});
        assertThatThrownBy(() -> new IdxDataset(notGzip)).isInstanceOf(IOException.class).hasMessageContaining("notgz");
    }

    @Test
    void aGzippedHeaderThatOverstatesTheSizeIsRefusedWithoutAllocatingIt() throws IOException {
        byte[] lying = images(2, 4, 4);
        ByteBuffer.wrap(lying).putInt(4, 1_000_000).putInt(8, 40).putInt(12, 40); // 1.6 GB declared, 32 bytes there
        Path f = write("lying", gzip(lying));
        assertThatThrownBy(() -> new IdxDataset(f)).isInstanceOf(IOException.class).hasMessageContaining("truncated")
                .hasMessageContaining("1600000016").hasMessageContaining("48");
    }

    @Test
    void mutatedFilesGiveADatasetOrTheOneError() throws IOException {
        byte[][] originals = {images(3, 4, 5), gzip(images(3, 4, 5))};
        byte[] lab = labels(1, 2, 3);
        SplittableRandom r = new SplittableRandom(23);
        Path f = dir.resolve("mutant"), lf = write("mutant-labels", lab);
        int opened = 0, refused = 0;
        for (int k = 0; k < 600; k++) {
            byte[] m = originals[k % 2].clone();
            for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) m[r.nextInt(Math.min(m.length, 24))] = (byte) r.nextInt(256);
            if (r.nextInt(3) == 0) m = Arrays.copyOf(m, r.nextInt(m.length + 8));
            Files.write(f, m);
            try {
                IdxDataset d = new IdxDataset(f, lf);
                assertThat(d.size()).isEqualTo(3);
                for (int i = 0; i < d.size(); i++) for (float v : d.image(i).data) assertThat(v).isBetween(0f, 1f);
                opened++;
            } catch (IOException e) {
                assertThat(e.getMessage()).contains(f.toString());
                refused++;
            } catch (RuntimeException e) {
                fail("mutant %d escaped as %s", k, e);
            }
        }
        assertThat(opened).isPositive();
        assertThat(refused).isPositive();
    }
}
