package dev.dinoj.dino.data;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * Reading and writing image files (JPEG, PNG and whatever else javax.imageio decodes).
 *
 * <p>{@link #read} gives the values PIL's {@code Image.open(f).convert('RGB')} gives (what the
 * reference's torchvision ImageFolder loader feeds DINO), read from the decoded samples rather than
 * through {@code BufferedImage.getRGB}: getRGB colour-manages, and turns an 8-bit grey 128 into 188
 * (it treats grey as linear light and converts it to sRGB). So:
 * <ul>
 * <li>grey (1 to 16 bits): three identical planes of the grey value; grey + alpha: alpha dropped;</li>
 * <li>palette: each index's palette RGB (palette alpha dropped);</li>
 * <li>RGB and RGBA: the colour samples as stored (alpha dropped, never multiplied in);</li>
 * <li>JPEG: ImageIO's YCbCr to RGB conversion for colour (as libjpeg's, within a level of PIL's),
 *     the raw luma for grey; embedded ICC profiles are not applied, as PIL does not apply them;</li>
 * <li>16-bit samples: the high byte, v &gt;&gt; 8. Pillow does exactly this for 16-bit colour PNGs
 *     (rawmodes RGB;16B, RGBA;16B and LA;16B unpack the high byte). For 16-bit grey Pillow opens mode
 *     I;16 (I before 10.3), and convert('RGB') clips instead of scaling (I16_RGB in Convert.c: every
 *     value from 256 up becomes 255), which makes almost any real 16-bit grey picture white (Pillow
 *     issue 3011); we scale grey as Pillow scales colour, so the same picture saved as 16-bit grey and
 *     as 16-bit RGB decodes alike. Rounding to the nearest level, (v * 255 + 32767) / 65535, would
 *     differ from v &gt;&gt; 8 by one level on some values and match neither PIL path; both give the
 *     original byte back for the usual 8-to-16-bit widening v = b * 257.</li>
 * </ul>
 * Other layouts (floating-point or 32-bit samples, CMYK or other colour spaces) fall back to getRGB.
 * Values are level / 255f, as {@link Image#fromRgb}.
 *
 * <p>Before decoding, the size in the file's header is checked against a pixel limit, system property
 * {@value #MAX_PIXELS_PROPERTY} (default {@value #DEFAULT_MAX_PIXELS}, PIL's MAX_IMAGE_PIXELS), so a
 * small file declaring a huge picture (a decompression bomb) fails with an IOException instead of
 * exhausting memory.
 */
public final class ImageFiles {
    public static final String MAX_PIXELS_PROPERTY = "dinoj.image.maxPixels";
    public static final long DEFAULT_MAX_PIXELS = 89_478_485L;

    private ImageFiles() {}

    /**
     * Decodes an image file: NoSuchFileException when it does not exist, otherwise one IOException
     * naming the file and the problem when it cannot be decoded or is larger than the pixel limit.
     */
    public static Image read(Path file) throws IOException {
        return read(file, maxPixels());
    }

    /** {@link #read(Path)} with an explicit limit on width x height. */
    public static Image read(Path file, long maxPixels) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "image file not found");
        if (Files.isDirectory(file)) throw new IOException("cannot decode image " + file + ": it is a folder");
        try (ImageInputStream in = open(file)) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new IOException("cannot decode image " + file + ": not a JPEG, PNG or other supported image (or corrupt)");
            ImageReader reader = readers.next();
            try {
                BufferedImage img;
                checkSize(reader, in, file, maxPixels);
                // the JPEG reader reports a truncated or corrupt stream only as a warning and fills the rest
                // with grey; PIL refuses such a file ("image file is truncated"), and so do we
                java.util.List<String> warnings = new java.util.ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                try {
                    img = reader.read(0);
                } catch (IOException | RuntimeException e) {
                    throw new IOException("cannot decode image " + file + ": " + e.getMessage(), e);
                }
                if (!warnings.isEmpty()) throw new IOException("cannot decode image " + file + ": " + String.join("; ", warnings) + " (truncated or corrupt)");
                return toImage(img);
            } finally {
                reader.dispose();
            }
        }
    }

    /**
     * Checks what a file's header says (a decodable format, a size within the pixel limit) without
     * decoding its pixels; the same IOException as {@link #read} where the header is the problem.
     */
    public static void checkHeader(Path file) throws IOException {
        long maxPixels = maxPixels();
        if (!Files.isRegularFile(file)) throw new IOException("cannot decode image " + file + ": not a regular file");
        try (ImageInputStream in = open(file)) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new IOException("cannot decode image " + file + ": not a JPEG, PNG or other supported image (or corrupt)");
            ImageReader reader = readers.next();
            try {
                checkSize(reader, in, file, maxPixels);
            } finally {
                reader.dispose();
            }
        }
    }

    /** Reads the header's size into the reader's input and refuses an empty image or one over the pixel limit. */
    private static void checkSize(ImageReader reader, ImageInputStream in, Path file, long maxPixels) throws IOException {
        long w, h;
        try {
            reader.setInput(in, true, true);
            w = reader.getWidth(0);
            h = reader.getHeight(0);
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot decode image " + file + ": " + e.getMessage(), e);
        }
        if (w <= 0 || h <= 0) throw new IOException("image " + file + " is empty (" + w + " x " + h + ")");
        if (w * h > maxPixels) {
            throw new IOException("image " + file + " is " + w + " x " + h + " = " + w * h + " pixels, more than the limit of " + maxPixels
                    + " (a decompression bomb?); raise it with --max-pixels N");
        }
    }

    private static ImageInputStream open(Path file) throws IOException {
        if (file.getFileSystem() == FileSystems.getDefault()) {
            try {
                return new FileImageInputStream(file.toFile());
            } catch (IOException e) {
                throw new IOException("cannot read image " + file + ": " + e.getMessage(), e);
            }
        }
        return new MemoryCacheImageInputStream(new ByteArrayInputStream(Files.readAllBytes(file)));
    }

    static long maxPixels() {
        String s = System.getProperty(MAX_PIXELS_PROPERTY);
        if (s == null || s.isBlank()) return DEFAULT_MAX_PIXELS;
        try {
            long v = Long.parseLong(s.trim());
            if (v > 0) return v;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("system property " + MAX_PIXELS_PROPERTY + " must be a positive whole number of pixels, got '" + s + "'");
    }

    /** The decoded samples as an Image (see the class comment for what each layout gives). */
    static Image toImage(BufferedImage img) {
        if (img.getColorModel().isAlphaPremultiplied()) img.coerceData(false);
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        int w = img.getWidth(), h = img.getHeight(), plane = w * h;
        float[] d = new float[3 * plane];
        int[] row = new int[w];
        if (cm instanceof IndexColorModel) {
            IndexColorModel icm = (IndexColorModel) cm;
            int n = icm.getMapSize();
            float[][] rgb = new float[3][n];
            for (int i = 0; i < n; i++) {
                rgb[0][i] = icm.getRed(i) / 255f;
                rgb[1][i] = icm.getGreen(i) / 255f;
                rgb[2][i] = icm.getBlue(i) / 255f;
            }
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int i = row[x], o = y * w + x;
                    if (i < n) { // an index past the palette's end is black, as in PIL (its palette is zero-padded)
                        d[o] = rgb[0][i];
                        d[plane + o] = rgb[1][i];
                        d[2 * plane + o] = rgb[2][i];
                    }
                }
            }
            return new Image(w, h, d);
        }
        int type = cm.getColorSpace().getType(), colours = cm.getNumColorComponents();
        boolean integer = raster.getTransferType() == DataBuffer.TYPE_BYTE || raster.getTransferType() == DataBuffer.TYPE_USHORT
                || raster.getTransferType() == DataBuffer.TYPE_INT;
        boolean grey = type == ColorSpace.TYPE_GRAY && colours == 1, rgb = type == ColorSpace.TYPE_RGB && colours == 3;
        boolean small = true;
        for (int c = 0; c < colours; c++) small &= cm.getComponentSize(c) <= 16;
        if (!integer || !small || !(grey || rgb)) {
            return Image.fromRgb(img.getRGB(0, 0, w, h, null, 0, w), w, h);
        }
        for (int c = 0; c < 3; c++) {
            int band = grey ? 0 : c;
            if (grey && c > 0) {
                System.arraycopy(d, 0, d, c * plane, plane);
                continue;
            }
            float[] level = levels(cm.getComponentSize(band));
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, band, row);
                int o = c * plane + y * w;
                for (int x = 0; x < w; x++) d[o + x] = level[row[x]];
            }
        }
        return new Image(w, h, d);
    }

    /** Value in [0, 1] of each sample of a bits-wide channel: 8-bit levels, level / 255f. */
    private static float[] levels(int bits) {
        int max = (1 << bits) - 1;
        float[] v = new float[max + 1];
        for (int s = 0; s <= max; s++) {
            int b8 = bits == 8 ? s : bits > 8 ? s >>> (bits - 8) : (s * 255 + max / 2) / max; // < 8 bits: PIL's L;2, L;4 scale (x 85, x 17)
            v[s] = b8 / 255f;
        }
        return v;
    }

    /** Writes a PNG atomically. */
    public static void writePng(Image image, Path file) throws IOException {
        BufferedImage b = new BufferedImage(image.width, image.height, BufferedImage.TYPE_INT_RGB);
        b.setRGB(0, 0, image.width, image.height, image.toRgb(), 0, image.width);
        writePng(b, file);
    }

    public static void writePng(BufferedImage image, Path file) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", bytes)) throw new IOException("no PNG writer available");
        dev.dinoj.tensor.io.AtomicFiles.write(file, bytes.toByteArray());
    }

    public static boolean isImageName(String name) {
        String n = name.toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png") || n.endsWith(".bmp") || n.endsWith(".gif");
    }
}
