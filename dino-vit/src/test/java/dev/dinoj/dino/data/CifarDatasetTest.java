package dev.dinoj.dino.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CifarDatasetTest {
    @TempDir
    Path dir;

    static int pixel(int record, int c, int y, int x) {
        return (record * 13 + c * 85 + y * 7 + x * 3) & 0xFF;
    }

    /** CIFAR records with the given labels (one byte each for CIFAR-10; coarse, fine pairs for CIFAR-100), record numbers from first. */
    static byte[] records(int first, int[]... labels) {
        int labelBytes = labels[0].length;
        int rec = labelBytes + CifarDataset.PIXELS;
        byte[] b = new byte[labels.length * rec];
        for (int r = 0; r < labels.length; r++) {
            for (int j = 0; j < labelBytes; j++) b[r * rec + j] = (byte) labels[r][j];
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) b[r * rec + labelBytes + (c * 32 + y) * 32 + x] = (byte) pixel(first + r, c, y, x);
            }
        }
        return b;
    }

    static int[][] single(int... labels) {
        return Arrays.stream(labels).mapToObj(l -> new int[] {l}).toArray(int[][]::new);
    }

    static List<String> cifar10Names() {
        return List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");
    }

    private static void assertPixels(Image im, int record) {
        assertThat(im.width).isEqualTo(32);
        assertThat(im.height).isEqualTo(32);
        for (int c = 0; c < 3; c++) for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) assertThat(im.get(c, y, x)).isEqualTo(pixel(record, c, y, x) / 255f);
    }

    @Test
    void cifar10BatchesGiveTheirPlanesLabelsAndClassNames() throws IOException {
        Path a = Files.write(dir.resolve("data_batch_1.bin"), records(0, single(6, 9, 0)));
        Path b = Files.write(dir.resolve("data_batch_2.bin"), records(3, single(1, 2)));
        Files.writeString(dir.resolve("batches.meta.txt"), String.join("\n", cifar10Names()) + "\n\n");
        CifarDataset d = new CifarDataset(CifarDataset.Kind.CIFAR10, List.of(a, b));
        assertThat(d.size()).isEqualTo(5);
        assertThat(d.labels()).containsExactly(6, 9, 0, 1, 2);
        assertThat(d.classes()).containsExactlyElementsOf(cifar10Names());
        for (int i = 0; i < 5; i++) assertPixels(d.image(i), i);
        assertThat(d.name(3)).isEqualTo("data_batch_2.bin#0");
        assertThatThrownBy(() -> d.image(5)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void cifar100UsesTheFineLabelAndKeepsTheCoarseOne() throws IOException {
        Path f = Files.write(dir.resolve("train.bin"), records(0, new int[] {19, 99}, new int[] {4, 30}, new int[] {0, 0}));
        List<String> fine = new ArrayList<>();
        for (int i = 0; i < 100; i++) fine.add("class" + i);
        Files.write(dir.resolve("fine_label_names.txt"), fine);
        CifarDataset d = new CifarDataset(CifarDataset.Kind.CIFAR100, List.of(f));
        assertThat(d.labels()).containsExactly(99, 30, 0);
        assertThat(d.coarseLabel(1)).isEqualTo(4);
        assertThat(d.classes()).hasSize(100).startsWith("class0").endsWith("class99");
        for (int i = 0; i < 3; i++) assertPixels(d.image(i), i);
    }

    @Test
    void withoutANamesFileTheClassesAreNumbers() throws IOException {
        Path f = Files.write(dir.resolve("test_batch.bin"), records(0, single(5)));
        assertThat(new CifarDataset(CifarDataset.Kind.CIFAR10, List.of(f)).classes()).containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    }

    @Test
    void openPicksTheSplitsStandardFiles() throws IOException {
        for (int k = 1; k <= 5; k++) Files.write(dir.resolve("data_batch_" + k + ".bin"), records(k, single(k)));
        Files.write(dir.resolve("test_batch.bin"), records(0, single(7, 8)));
        CifarDataset train = CifarDataset.open(CifarDataset.Kind.CIFAR10, dir, "train");
        assertThat(train.labels()).containsExactly(1, 2, 3, 4, 5);
        assertPixels(train.image(4), 5);
        assertThat(CifarDataset.open(CifarDataset.Kind.CIFAR10, dir, "test").labels()).containsExactly(7, 8);
        assertThat(CifarDataset.open(CifarDataset.Kind.CIFAR10, dir, "val").labels()).containsExactly(7, 8);
        assertThatThrownBy(() -> CifarDataset.open(CifarDataset.Kind.CIFAR100, dir, "train")).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("train.bin");
    }

    @Test
    void oddSizesAndBadLabelsAreRefusedNamingTheFile() throws IOException {
        byte[] two = records(0, single(1, 2));
        Path cut = Files.write(dir.resolve("data_batch_1.bin"), Arrays.copyOf(two, two.length - 100));
        assertThatThrownBy(() -> new CifarDataset(CifarDataset.Kind.CIFAR10, List.of(cut))).isInstanceOf(IOException.class)
                .hasMessageContaining(cut.toString()).hasMessageContaining(String.valueOf(two.length - 100)).hasMessageContaining("3073")
                .hasMessageContaining("truncated");
        Path hundred = Files.write(dir.resolve("train.bin"), records(0, new int[] {1, 2}, new int[] {3, 4}, new int[] {5, 6}));
        assertThatThrownBy(() -> new CifarDataset(CifarDataset.Kind.CIFAR10, List.of(hundred))).hasMessageContaining("fits CIFAR-100 records");
        Path badFine = Files.write(dir.resolve("bad.bin"), records(0, new int[] {1, 100}));
        assertThatThrownBy(() -> new CifarDataset(CifarDataset.Kind.CIFAR100, List.of(badFine))).hasMessageContaining("bad.bin")
                .hasMessageContaining("fine label 100");
        Path badCoarse = Files.write(dir.resolve("bad2.bin"), records(0, new int[] {20, 1}));
        assertThatThrownBy(() -> new CifarDataset(CifarDataset.Kind.CIFAR100, List.of(badCoarse))).hasMessageContaining("coarse label 20");
        Path bad10 = Files.write(dir.resolve("bad10.bin"), records(0, single(3, 10)));
        assertThatThrownBy(() -> new CifarDataset(CifarDataset.Kind.CIFAR10, List.of(bad10))).hasMessageContaining("record 1 has label 10");
        Path empty = Files.write(dir.resolve("empty.bin"), new byte[0]);
        assertThatThrownBy(() -> new CifarDataset(CifarDataset.Kind.CIFAR10, List.of(empty))).hasMessageContaining("empty");
        Path names = dir.resolve("sub/batches.meta.txt");
        Files.createDirectories(names.getParent());
        Files.writeString(names, "cat\ndog\n");
        Path withNames = Files.write(dir.resolve("sub/test_batch.bin"), records(0, single(1)));
        assertThatThrownBy(() -> new CifarDataset(CifarDataset.Kind.CIFAR10, List.of(withNames))).hasMessageContaining("batches.meta.txt")
                .hasMessageContaining("2 names, expected 10");
        assertThatThrownBy(() -> new CifarDataset(CifarDataset.Kind.CIFAR10, List.of(dir.resolve("none.bin")))).isInstanceOf(NoSuchFileException.class);
    }
}
