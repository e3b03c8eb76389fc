package dev.dinoj.dino.data;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading and writing image files (JPEG, PNG and whatever else javax.imageio decodes). */
public final class ImageFiles {
    private ImageFiles() {}

    /** Decodes an image file, or fails with an IOException naming the file and the problem. */
    public static Image read(Path file) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "image file not found");
        BufferedImage img;
        try (InputStream in = Files.newInputStream(file)) {
            img = ImageIO.read(in);
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot decode image " + file + ": " + e.getMessage(), e);
        }
        if (img == null) throw new IOException("cannot decode image " + file + ": not a JPEG, PNG or other supported image (or corrupt)");
        int w = img.getWidth(), h = img.getHeight();
        if (w <= 0 || h <= 0) throw new IOException("image " + file + " is empty");
        return Image.fromRgb(img.getRGB(0, 0, w, h, null, 0, w), w, h);
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
