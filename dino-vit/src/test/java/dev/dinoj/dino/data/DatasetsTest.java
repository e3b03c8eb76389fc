package dev.dinoj.dino.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static dev.dinoj.dino.data.CifarDatasetTest.records;
import static dev.dinoj.dino.data.CifarDatasetTest.single;
import static dev.dinoj.dino.data.IdxDatasetTest.gzip;
import static dev.dinoj.dino.data.IdxDatasetTest.images;
import static dev.dinoj.dino.data.IdxDatasetTest.labels;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatasetsTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] data) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        return Files.write(p, data);
    }

    /** MNIST's four files: train with 3 images labelled 1, 2, 3; t10k with 2 labelled 7, 8. */
    private Path mnist(String folder, String suffix, String sep) throws IOException {
        write(folder + "/train-images" + sep + "idx3-ubyte" + suffix, suffix.isEmpty() ? images(3, 2, 2) : gzip(images(3, 2, 2)));
        write(folder + "/train-labels" + sep + "idx1-ubyte" + suffix, suffix.isEmpty() ? labels(1, 2, 3) : gzip(labels(1, 2, 3)));
        write(folder + "/t10k-images" + sep + "idx3-ubyte" + suffix, suffix.isEmpty() ? images(2, 2, 2) : gzip(images(2, 2, 2)));
        write(folder + "/t10k-labels" + sep + "idx1-ubyte" + suffix, suffix.isEmpty() ? labels(7, 8) : gzip(labels(7, 8)));
        return dir.resolve(folder);
    }

    @Test
    void anIdxImagesFileComesWithItsLabelsFileByTheStandardNames() throws IOException {
        for (String[] variant : new String[][] {{"", "-"}, {".gz", "-"}, {"", "."}, {".gz", "."}}) {
            Path folder = mnist("m" + variant[0] + variant[1], variant[0], variant[1]);
            ImageDataset train = Datasets.open(folder.resolve("train-images" + variant[1] + "idx3-ubyte" + variant[0]), "test"); // a file: the split is not used
            assertThat(train).isInstanceOf(IdxDataset.class);
            assertThat(train.labels()).containsExactly(1, 2, 3);
            ImageDataset test = Datasets.open(folder.resolve("t10k-images" + variant[1] + "idx3-ubyte" + variant[0]), "train");
            assertThat(test.labels()).containsExactly(7, 8);
        }
        Path alone = write("alone/train-images-idx3-ubyte", images(2, 2, 2));
        assertThat(Datasets.open(alone, "train").isLabelled()).isFalse();
        // the raw labels file is found for a gzipped images file, and the other way round
        write("mixed/train-images-idx3-ubyte.gz", gzip(images(1, 2, 2)));
        write("mixed/train-labels-idx1-ubyte", labels(4));
        assertThat(Datasets.labelsFile(dir.resolve("mixed/train-images-idx3-ubyte.gz"))).contains(dir.resolve("mixed/train-labels-idx1-ubyte"));
        assertThat(Datasets.open(dir.resolve("mixed/train-images-idx3-ubyte.gz"), "train").labels()).containsExactly(4);
    }

    @Test
    void aFolderOfIdxFilesGivesTheSplitAsked() throws IOException {
        Path raw = mnist("raw", "", "-"), gz = mnist("gz", ".gz", "-");
        for (Path folder : new Path[] {raw, gz}) {
            assertThat(Datasets.open(folder, "train").labels()).containsExactly(1, 2, 3);
            assertThat(Datasets.open(folder, "test").labels()).containsExactly(7, 8);
            assertThat(Datasets.open(folder, "val").labels()).containsExactly(7, 8);
        }
        // raw and gzipped copies of the same files side by side (downloaded, then extracted): the raw ones
        Path both = mnist("both", "", "-");
        mnist("both", ".gz", "-");
        assertThat(((IdxDataset) Datasets.open(both, "train")).imagesFile().getFileName().toString()).isEqualTo("train-images-idx3-ubyte");
        // one images file: that one, whatever the split
        write("one/t10k-images-idx3-ubyte", images(2, 2, 2));
        write("one/t10k-labels-idx1-ubyte", labels(7, 8));
        assertThat(Datasets.open(dir.resolve("one"), "train").labels()).containsExactly(7, 8);
        // two files neither named train nor test: no guess
        write("two/a-images-idx3-ubyte", images(1, 2, 2));
        write("two/b-images-idx3-ubyte", images(1, 2, 2));
        assertThatThrownBy(() -> Datasets.open(dir.resolve("two"), "train")).isInstanceOf(IOException.class)
                .hasMessageContaining("a-images-idx3-ubyte").hasMessageContaining("b-images-idx3-ubyte");
    }

    @Test
    void cifarFoldersGiveTheSplitsBatches() throws IOException {
        Path c10 = dir.resolve("cifar-10-batches-bin");
        for (int k = 1; k <= 5; k++) write("cifar-10-batches-bin/data_batch_" + k + ".bin", records(0, single(k - 1)));
        write("cifar-10-batches-bin/test_batch.bin", records(0, single(9, 8)));
        for (Path p : new Path[] {c10, dir}) { // the batches folder, or the folder it was extracted into
            ImageDataset train = Datasets.open(p, "train");
            assertThat(train).isInstanceOf(CifarDataset.class);
            assertThat(train.labels()).containsExactly(0, 1, 2, 3, 4);
            assertThat(Datasets.open(p, "test").labels()).containsExactly(9, 8);
        }
        assertThat(Datasets.open(c10.resolve("data_batch_3.bin"), "test").labels()).containsExactly(2);
        write("c100/cifar-100-binary/train.bin", records(0, new int[] {1, 50}));
        write("c100/cifar-100-binary/test.bin", records(0, new int[] {2, 60}, new int[] {3, 70}));
        for (Path p : new Path[] {dir.resolve("c100/cifar-100-binary"), dir.resolve("c100")}) {
            assertThat(((CifarDataset) Datasets.open(p, "train")).kind()).isEqualTo(CifarDataset.Kind.CIFAR100);
            assertThat(Datasets.open(p, "train").labels()).containsExactly(50);
            assertThat(Datasets.open(p, "val").labels()).containsExactly(60, 70);
        }
        write("onlytest/test_batch.bin", records(0, single(4)));
        assertThat(Datasets.open(dir.resolve("onlytest"), "train").labels()).containsExactly(4);
        write("py/cifar-10-batches-py/data_batch_1", new byte[10]);
        assertThatThrownBy(() -> Datasets.open(dir.resolve("py"), "train")).hasMessageContaining("Python (pickle) version");
    }

    @Test
    void otherFoldersAreImageFoldersAndTrainValFoldersGiveTheSplit() throws IOException {
        SyntheticShapes s = new SyntheticShapes(4, 8, 1);
        Files.createDirectories(dir.resolve("pics/cat"));
        Files.createDirectories(dir.resolve("pics/dog"));
        ImageFiles.writePng(s.image(0), dir.resolve("pics/cat/a.png"));
        ImageFiles.writePng(s.image(1), dir.resolve("pics/dog/b.png"));
        ImageDataset pics = Datasets.open(dir.resolve("pics"), "train");
        assertThat(pics).isInstanceOf(ImageFolder.class);
        assertThat(pics.classes()).containsExactly("cat", "dog");
        for (String split : new String[] {"train", "val"}) {
            Files.createDirectories(dir.resolve("imagenet/" + split + "/n01"));
            ImageFiles.writePng(s.image(split.equals("train") ? 2 : 3), dir.resolve("imagenet/" + split + "/n01/" + split + ".png"));
        }
        assertThat(Datasets.open(dir.resolve("imagenet"), "train").name(0)).isEqualTo("n01/train.png".replace('/', java.io.File.separatorChar));
        assertThat(Datasets.open(dir.resolve("imagenet"), "test").name(0)).isEqualTo("n01/val.png".replace('/', java.io.File.separatorChar));
    }

    @Test
    void whatCannotBeOpenedSaysWhatWasLookedFor() throws IOException {
        Files.createDirectories(dir.resolve("empty"));
        Files.writeString(dir.resolve("empty/notes.txt"), "hello");
        assertThatThrownBy(() -> Datasets.open(dir.resolve("empty"), "train")).isInstanceOf(IOException.class)
                .hasMessageContaining("no dataset found in " + dir.resolve("empty")).hasMessageContaining("IDX").hasMessageContaining("CIFAR-10")
                .hasMessageContaining("image files");
        assertThatThrownBy(() -> Datasets.open(dir.resolve("empty/notes.txt"), "train")).isInstanceOf(IOException.class)
                .hasMessageContaining("not a dataset file").hasMessageContaining("IDX");
        Path labelsOnly = write("l/train-labels-idx1-ubyte", labels(1));
        assertThatThrownBy(() -> Datasets.open(labelsOnly, "train")).hasMessageContaining("labels file").hasMessageContaining("train-images-idx3-ubyte");
        assertThatThrownBy(() -> Datasets.open(dir.resolve("missing"), "train")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> Datasets.open(dir, "training")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'training'");
        write("both/data_batch_1.bin", records(0, single(1)));
        write("both/train.bin", records(0, new int[] {1, 2}));
        assertThatThrownBy(() -> Datasets.open(dir.resolve("both"), "train")).hasMessageContaining("both CIFAR-10");
    }
}
