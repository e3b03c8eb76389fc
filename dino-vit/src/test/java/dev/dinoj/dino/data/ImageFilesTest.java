package dev.dinoj.dino.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * Each test writes a file whose raw samples it chose and checks the decoded values against them:
 * exactly (to the 1/255 grid) for PNG, within a small tolerance for JPEG.
 */
class ImageFilesTest {
    private static final int W = 7, H = 5;

    @TempDir
    Path dir;

    /** An 8-bit level per pixel and channel, varied, covering 0, 128 and 255. */
    private static int level(int x, int y, int c) {
        if (x == 0 && y == 0) return 128;
        if (x == 1 && y == 0) return 0;
        if (x == 2 && y == 0) return 255;
        return (x * 37 + y * 71 + c * 101 + 13) & 0xFF;
    }

    private Path png(BufferedImage b, String name) throws IOException {
        Path f = dir.resolve(name);
        assertThat(ImageIO.write(b, "png", f.toFile())).as("a PNG writer for " + name).isTrue();
        return f;
    }

    private static void assertPlanes(Image im, int[][][] expected) {
        assertThat(im.width).isEqualTo(W);
        assertThat(im.height).isEqualTo(H);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    assertThat(im.get(c, y, x)).as("channel %d at (%d, %d)", c, x, y).isEqualTo(expected[c][y][x] / 255f);
                }
            }
        }
    }

    /** Expected planes: the same levels in all three channels. */
    private static int[][][] grey(java.util.function.IntBinaryOperator v) {
        int[][][] e = new int[3][H][W];
        for (int c = 0; c < 3; c++) for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) e[c][y][x] = v.applyAsInt(x, y);
        return e;
    }

    private static int[][][] colour() {
        int[][][] e = new int[3][H][W];
        for (int c = 0; c < 3; c++) for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) e[c][y][x] = level(x, y, c);
        return e;
    }

    @Test
    void aGreyPngOf128DecodesTo128Over255() throws IOException {
        BufferedImage b = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 2; y++) for (int x = 0; x < 3; x++) b.getRaster().setSample(x, y, 0, 128);
        Image im = ImageFiles.read(png(b, "grey128.png"));
        assertThat(im.data).containsOnly(128f / 255f); // BufferedImage.getRGB gives 188 here
        assertThat(im.isGrey()).isTrue();
    }

    @Test
    void eightBitGreyPngGivesItsLevelsInAllThreePlanes() throws IOException {
        BufferedImage b = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) b.getRaster().setSample(x, y, 0, level(x, y, 0));
        assertPlanes(ImageFiles.read(png(b, "grey8.png")), grey((x, y) -> level(x, y, 0)));
    }

    @Test
    void sixteenBitGreyPngGivesTheHighByte() throws IOException {
        BufferedImage b = new BufferedImage(W, H, BufferedImage.TYPE_USHORT_GRAY);
        int[][] v = new int[H][W];
        SplittableRandom r = new SplittableRandom(3);
        for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) v[y][x] = r.nextInt(65536);
        v[0][0] = 128 * 257; // 8-bit 128 widened to 16 bits
        v[0][1] = 255; // below one 8-bit level: 0
        v[0][2] = 256; // exactly one level
        v[0][3] = 65535;
        v[0][4] = 0;
        for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) b.getRaster().setSample(x, y, 0, v[y][x]);
        Image im = ImageFiles.read(png(b, "grey16.png"));
        assertPlanes(im, grey((x, y) -> v[y][x] >> 8));
        assertThat(im.get(0, 0, 0)).isEqualTo(128f / 255f);
    }

    @Test
    void oneTwoAndFourBitGreyPngsGiveTheirLevelsScaledTo255() throws IOException {
        for (int bits : new int[] {1, 2, 4}) {
            int n = 1 << bits;
            byte[] ramp = new byte[n];
            for (int i = 0; i < n; i++) ramp[i] = (byte) (i * 255 / (n - 1));
            BufferedImage b = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_BINARY, new IndexColorModel(bits, n, ramp, ramp, ramp));
            for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) b.getRaster().setSample(x, y, 0, (x + 3 * y) % n);
            Path f = png(b, "grey" + bits + "bit.png");
            byte[] bytes = Files.readAllBytes(f);
            assertThat(new int[] {bytes[24], bytes[25]}).as("IHDR bit depth and colour type 0 (grey)").containsExactly(bits, 0);
            // PIL: 1-bit is 0 or 255, L;2 levels x 85, L;4 levels x 17
            assertPlanes(ImageFiles.read(f), grey((x, y) -> (x + 3 * y) % n * (255 / (n - 1))));
        }
    }

    @Test
    void greyPlusAlphaPngDropsTheAlpha() throws IOException {
        for (int bits : new int[] {8, 16}) {
            ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), new int[] {bits, bits}, true, false,
                    Transparency.TRANSLUCENT, bits == 8 ? DataBuffer.TYPE_BYTE : DataBuffer.TYPE_USHORT);
            WritableRaster raster = cm.createCompatibleWritableRaster(W, H);
            int scale = bits == 8 ? 1 : 257;
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    raster.setSample(x, y, 0, level(x, y, 0) * scale);
                    raster.setSample(x, y, 1, ((x * 50 + y * 3) & 0xFF) * scale); // alpha, 0 at x = 0, y = 0
                }
            }
            Path f = png(new BufferedImage(cm, raster, false, null), "grey-alpha" + bits + ".png");
            assertThat(ImageIO.read(f.toFile()).getColorModel().getNumComponents()).as("the file really has grey + alpha").isEqualTo(2);
            assertPlanes(ImageFiles.read(f), grey((x, y) -> level(x, y, 0)));
        }
    }

    @Test
    void palettePngGivesEachIndexsPaletteColour() throws IOException {
        byte[] r = {0, (byte) 255, 10, (byte) 128, 77}, g = {0, 20, (byte) 200, (byte) 128, 1}, b = {0, 30, 40, (byte) 128, (byte) 254};
        byte[] a = {(byte) 255, (byte) 255, 0, (byte) 255, 100}; // a transparent and a half-transparent entry: alpha is dropped
        for (int bits : new int[] {8, 4}) {
            IndexColorModel icm = new IndexColorModel(bits, 5, r, g, b, a);
            BufferedImage img = new BufferedImage(W, H, bits == 8 ? BufferedImage.TYPE_BYTE_INDEXED : BufferedImage.TYPE_BYTE_BINARY, icm);
            for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) img.getRaster().setSample(x, y, 0, (x + 2 * y) % 5);
            Path f = png(img, "palette" + bits + ".png");
            assertThat(ImageIO.read(f.toFile()).getColorModel()).as("the file really has a palette").isInstanceOf(IndexColorModel.class);
            int[][][] e = new int[3][H][W];
            byte[][] pal = {r, g, b};
            for (int c = 0; c < 3; c++) for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) e[c][y][x] = pal[c][(x + 2 * y) % 5] & 0xFF;
            assertPlanes(ImageFiles.read(f), e);
        }
    }

    @Test
    void rgbPngGivesItsSamples() throws IOException {
        for (int type : new int[] {BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_3BYTE_BGR}) {
            BufferedImage b = new BufferedImage(W, H, type);
            for (int c = 0; c < 3; c++) for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) b.getRaster().setSample(x, y, c, level(x, y, c));
            assertPlanes(ImageFiles.read(png(b, "rgb" + type + ".png")), colour());
        }
    }

    @Test
    void rgbaPngDropsTheAlphaWithoutMultiplyingItIn() throws IOException {
        for (int type : new int[] {BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_4BYTE_ABGR}) {
            BufferedImage b = new BufferedImage(W, H, type);
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    for (int c = 0; c < 3; c++) b.getRaster().setSample(x, y, c, level(x, y, c));
                    b.getRaster().setSample(x, y, 3, (x * 40 + y) & 0xFF); // alpha 0 at (0, 0): the colour stays 128, 128, 128
                }
            }
            Path f = png(b, "rgba" + type + ".png");
            assertThat(ImageIO.read(f.toFile()).getColorModel().hasAlpha()).isTrue();
            assertPlanes(ImageFiles.read(f), colour());
        }
    }

    @Test
    void sixteenBitRgbAndRgbaPngGiveTheHighBytes() throws IOException {
        for (boolean alpha : new boolean[] {false, true}) {
            ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB),
                    alpha ? new int[] {16, 16, 16, 16} : new int[] {16, 16, 16}, alpha, false,
                    alpha ? Transparency.TRANSLUCENT : Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
            WritableRaster raster = cm.createCompatibleWritableRaster(W, H);
            int[][][] v = new int[3][H][W];
            SplittableRandom r = new SplittableRandom(alpha ? 5 : 4);
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    for (int c = 0; c < 3; c++) {
                        v[c][y][x] = r.nextInt(65536);
                        raster.setSample(x, y, c, v[c][y][x]);
                    }
                    if (alpha) raster.setSample(x, y, 3, r.nextInt(65536));
                }
            }
            Path f = png(new BufferedImage(cm, raster, false, null), "rgb16" + alpha + ".png");
            assertThat(ImageIO.read(f.toFile()).getColorModel().getComponentSize(0)).as("the file really has 16-bit samples").isEqualTo(16);
            int[][][] e = new int[3][H][W];
            for (int c = 0; c < 3; c++) for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) e[c][y][x] = v[c][y][x] >> 8;
            assertPlanes(ImageFiles.read(f), e);
        }
    }

    @Test
    void theSamePictureSavedGreyAndAsRgbDecodesToTheSameTensor() throws IOException {
        BufferedImage grey = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_GRAY), rgb = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        BufferedImage grey16 = new BufferedImage(W, H, BufferedImage.TYPE_USHORT_GRAY);
        ComponentColorModel cm16 = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), new int[] {16, 16, 16}, false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster rgb16 = cm16.createCompatibleWritableRaster(W, H);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int v = level(x, y, 0);
                grey.getRaster().setSample(x, y, 0, v);
                grey16.getRaster().setSample(x, y, 0, v * 256 + ((x * 53 + y) & 0xFF)); // any low byte: the same high byte
                for (int c = 0; c < 3; c++) {
                    rgb.getRaster().setSample(x, y, c, v);
                    rgb16.setSample(x, y, c, v * 256 + ((y * 91 + c) & 0xFF));
                }
            }
        }
        Image a = ImageFiles.read(png(grey, "same-grey.png")), b = ImageFiles.read(png(rgb, "same-rgb.png"));
        Image c = ImageFiles.read(png(grey16, "same-grey16.png")), d = ImageFiles.read(png(new BufferedImage(cm16, rgb16, false, null), "same-rgb16.png"));
        assertThat(a.data).containsExactly(b.data);
        assertThat(c.data).containsExactly(b.data);
        assertThat(d.data).containsExactly(b.data);
        assertThat(a.get(0, 0, 0)).isEqualTo(128f / 255f);
        assertThat(a.isGrey()).isTrue();
        assertThat(b.isGrey()).isTrue();
    }

    /** A smooth colour picture (JPEG's error on it is small). */
    private static int smooth(int x, int y, int c) {
        return 40 + (c == 0 ? 5 * x + 2 * y : c == 1 ? 3 * y + x : 150 - 2 * x - y);
    }

    private Path jpeg(BufferedImage b, String name, boolean progressive) throws IOException {
        Path f = dir.resolve(name);
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam p = w.getDefaultWriteParam();
        p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        p.setCompressionQuality(1f);
        if (progressive) p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        try (ImageOutputStream out = ImageIO.createImageOutputStream(f.toFile())) {
            w.setOutput(out);
            w.write(null, new IIOImage(b, null, null), p);
        } finally {
            w.dispose();
        }
        byte[] bytes = Files.readAllBytes(f);
        assertThat(hasMarker(bytes, 0xC2)).as("%s is progressive (SOF2)", name).isEqualTo(progressive);
        assertThat(hasMarker(bytes, 0xC0)).as("%s is baseline (SOF0)", name).isEqualTo(!progressive);
        return f;
    }

    private static boolean hasMarker(byte[] b, int marker) {
        for (int i = 0; i + 1 < b.length; i++) if ((b[i] & 0xFF) == 0xFF && (b[i + 1] & 0xFF) == marker) return true;
        return false;
    }

    @Test
    void colourJpegBaselineAndProgressiveDecodeCloseToTheWrittenValues() throws IOException {
        int w = 32, h = 24;
        BufferedImage b = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        for (int c = 0; c < 3; c++) for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) b.getRaster().setSample(x, y, c, smooth(x, y, c));
        for (boolean progressive : new boolean[] {false, true}) {
            Path f = jpeg(b, "colour" + progressive + ".jpg", progressive);
            Image im = ImageFiles.read(f);
            BufferedImage ref = ImageIO.read(f.toFile()); // ImageIO's own YCbCr -> RGB, read from its raster
            double worst = 0;
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        assertThat(im.get(c, y, x)).isEqualTo(ref.getRaster().getSample(x, y, c) / 255f);
                        worst = Math.max(worst, Math.abs(im.get(c, y, x) * 255 - smooth(x, y, c)));
                    }
                }
            }
            assertThat(worst).as("largest error in 8-bit levels, progressive " + progressive).isLessThanOrEqualTo(4);
        }
    }

    @Test
    void greyJpegBaselineAndProgressiveGiveTheirRawLuma() throws IOException {
        int w = 32, h = 24;
        BufferedImage b = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) b.getRaster().setSample(x, y, 0, 60 + 3 * x + 2 * y);
        for (boolean progressive : new boolean[] {false, true}) {
            Path f = jpeg(b, "grey" + progressive + ".jpg", progressive);
            BufferedImage ref = ImageIO.read(f.toFile());
            assertThat(ref.getRaster().getNumBands()).as("a one-channel JPEG").isEqualTo(1);
            Image im = ImageFiles.read(f);
            assertThat(im.isGrey()).isTrue();
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int luma = ref.getRaster().getSample(x, y, 0);
                    assertThat(im.get(0, y, x)).isEqualTo(luma / 255f);
                    assertThat(Math.abs(luma - (60 + 3 * x + 2 * y))).isLessThanOrEqualTo(2);
                }
            }
        }
    }

    @Test
    void imagesAboveThePixelLimitAreRefusedBeforeDecoding() throws IOException {
        BufferedImage b = new BufferedImage(100, 40, BufferedImage.TYPE_BYTE_GRAY);
        Path f = png(b, "big.png");
        assertThat(ImageFiles.read(f, 4000).width).isEqualTo(100);
        assertThatThrownBy(() -> ImageFiles.read(f, 3999)).isInstanceOf(IOException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("100 x 40").hasMessageContaining("3999");
        // a 300-byte file declaring 200000 x 200000 pixels: refused from its header under the default limit
        Path bomb = dir.resolve("bomb.png");
        Files.write(bomb, withSize(Files.readAllBytes(png(new BufferedImage(1, 1, BufferedImage.TYPE_BYTE_GRAY), "one.png")), 200_000, 200_000));
        assertThatThrownBy(() -> ImageFiles.read(bomb)).isInstanceOf(IOException.class)
                .hasMessageContaining("bomb.png").hasMessageContaining("200000 x 200000").hasMessageContaining(String.valueOf(ImageFiles.DEFAULT_MAX_PIXELS));
    }

    /** A PNG with the width and height in its IHDR replaced (and the chunk's CRC fixed). */
    private static byte[] withSize(byte[] png, int width, int height) {
        ByteBuffer buf = ByteBuffer.wrap(png); // signature (8), IHDR length (4), "IHDR" (4), width, height, ...
        assertThat(new String(png, 12, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("IHDR");
        buf.putInt(16, width);
        buf.putInt(20, height);
        CRC32 crc = new CRC32();
        crc.update(png, 12, 4 + 13);
        buf.putInt(12 + 4 + 13, (int) crc.getValue());
        return png;
    }

    @Test
    void missingCorruptAndTruncatedFilesGiveOneClearError() throws IOException {
        assertThatThrownBy(() -> ImageFiles.read(dir.resolve("nope.png"))).isInstanceOf(NoSuchFileException.class).hasMessageContaining("nope.png");
        Path text = dir.resolve("text.png");
        Files.writeString(text, "not a picture");
        assertThatThrownBy(() -> ImageFiles.read(text)).isInstanceOf(IOException.class).hasMessageContaining("text.png").hasMessageContaining("cannot decode");
        BufferedImage b = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        byte[] whole = Files.readAllBytes(png(b, "whole.png"));
        Path cut = dir.resolve("cut.png");
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2));
        assertThatThrownBy(() -> ImageFiles.read(cut)).isInstanceOf(IOException.class).hasMessageContaining("cut.png").hasMessageContaining("cannot decode");
        assertThatThrownBy(() -> ImageFiles.read(dir)).isInstanceOf(IOException.class).hasMessageContaining("folder");
        // a JPEG cut in the middle of its scan: ImageIO only warns and fills with grey; PIL refuses it
        BufferedImage smoothPicture = new BufferedImage(64, 48, BufferedImage.TYPE_3BYTE_BGR);
        for (int c = 0; c < 3; c++) for (int y = 0; y < 48; y++) for (int x = 0; x < 64; x++) smoothPicture.getRaster().setSample(x, y, c, smooth(x, y, c));
        byte[] jpegBytes = Files.readAllBytes(jpeg(smoothPicture, "whole.jpg", false));
        Path cutJpeg = dir.resolve("cut.jpg");
        Files.write(cutJpeg, java.util.Arrays.copyOf(jpegBytes, jpegBytes.length * 2 / 3));
        assertThatThrownBy(() -> ImageFiles.read(cutJpeg)).isInstanceOf(IOException.class).hasMessageContaining("cut.jpg").hasMessageContaining("truncated");
    }

    @Test
    void mutatedPngAndJpegFilesDecodeOrFailWithTheOneError() throws IOException {
        BufferedImage b = new BufferedImage(12, 9, BufferedImage.TYPE_3BYTE_BGR);
        for (int c = 0; c < 3; c++) for (int y = 0; y < 9; y++) for (int x = 0; x < 12; x++) b.getRaster().setSample(x, y, c, smooth(x, y, c));
        byte[][] originals = {Files.readAllBytes(png(b, "fuzz.png")), Files.readAllBytes(jpeg(b, "fuzz.jpg", false))};
        SplittableRandom r = new SplittableRandom(17);
        Path f = dir.resolve("mutant");
        int decoded = 0, refused = 0;
        for (int k = 0; k < 400; k++) {
            byte[] m = originals[k % 2].clone();
            int flips = 1 + r.nextInt(4);
            for (int i = 0; i < flips; i++) m[r.nextInt(Math.min(m.length, 200))] = (byte) r.nextInt(256); // the headers live in the first bytes
            if (r.nextInt(4) == 0) m = java.util.Arrays.copyOf(m, r.nextInt(m.length));
            Files.write(f, m);
            try {
                Image im = ImageFiles.read(f, 1 << 20);
                for (float v : im.data) assertThat(v).isBetween(0f, 1f);
                decoded++;
            } catch (IOException e) {
                assertThat(e.getMessage()).contains(f.toString());
                refused++;
            } catch (RuntimeException e) {
                fail("mutant %d escaped as %s", k, e);
            }
        }
        assertThat(decoded).isPositive();
        assertThat(refused).isPositive();
    }
}
