package dev.dinoj.dino.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageFolderTest {
    @TempDir
    Path dir;

    @Test
    void classSubFoldersGiveLabelsAndPngRoundTrips() throws IOException {
        SyntheticShapes s = new SyntheticShapes(4, 16, 2);
        Files.createDirectories(dir.resolve("b_square/nested"));
        Files.createDirectories(dir.resolve("a_circle"));
        ImageFiles.writePng(s.image(0), dir.resolve("a_circle/x.png"));
        ImageFiles.writePng(s.image(1), dir.resolve("b_square/nested/y.png"));
        ImageFiles.writePng(s.image(2), dir.resolve("b_square/z.png"));
        Files.writeString(dir.resolve("b_square/notes.txt"), "not an image");
        ImageFolder f = new ImageFolder(dir);
        assertThat(f.classes()).containsExactly("a_circle", "b_square");
        assertThat(f.size()).isEqualTo(3);
        assertThat(f.label(0)).isZero();
        assertThat(f.label(2)).isEqualTo(1);
        Image back = f.image(0);
        float[] orig = s.image(0).data;
        for (int i = 0; i < orig.length; i++) assertThat(Math.abs(back.data[i] - orig[i])).isLessThanOrEqualTo(0.5f / 255 + 1e-6f);
    }

    @Test
    void imagesInTheRootAreUnlabelled() throws IOException {
        ImageFiles.writePng(new SyntheticShapes(1, 16, 2).image(0), dir.resolve("one.png"));
        ImageFolder f = new ImageFolder(dir);
        assertThat(f.isLabelled()).isFalse();
        assertThat(f.label(0)).isEqualTo(-1);
    }

    @Test
    void emptyMissingAndCorruptInputsFailNamingThePath() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> new ImageFolder(empty)).isInstanceOf(IOException.class).hasMessageContaining("no images found in " + empty);
        assertThatThrownBy(() -> new ImageFolder(dir.resolve("missing"))).isInstanceOf(NoSuchFileException.class).hasMessageContaining("missing");
        Path bad = dir.resolve("c/broken.jpg");
        Files.createDirectories(bad.getParent());
        Files.write(bad, new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2, 3, 4});
        ImageFolder f = new ImageFolder(dir.resolve("c"));
        assertThatThrownBy(() -> f.image(0)).isInstanceOf(IOException.class).hasMessageContaining("broken.jpg").hasMessageContaining("cannot decode");
        Path text = dir.resolve("c/readme.png");
        Files.writeString(text, "hello");
        assertThatThrownBy(() -> ImageFiles.read(text)).hasMessageContaining("readme.png");
    }
}
