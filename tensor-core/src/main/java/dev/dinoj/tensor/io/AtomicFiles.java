package dev.dinoj.tensor.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes files so that a crash never leaves a half-written one: the bytes go to a temporary file in
 * the same directory ({@code .NAME.<random>.tmp}, created with the permissions the umask gives, or
 * those of the file it replaces), are forced to disk, and the temporary file is renamed over the target.
 * A write killed before the rename leaves its temporary file behind: {@link #removeStaleTemporaries}.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Something that writes the whole content to a channel. */
    @FunctionalInterface
    public interface Writer {
        void write(FileChannel channel) throws IOException;
    }

    public static void write(Path target, Writer writer) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException("cannot write " + target + ": directory " + dir + " does not exist");
        }
        Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(RANDOM.nextLong() >>> 1) + TMP_SUFFIX);
        try {
            // CREATE_NEW without attributes: the mode the umask gives (createTempFile would make it 0600)
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                keepPermissions(target, tmp);
                writer.write(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            forceDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static final String TMP_SUFFIX = ".tmp";
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /** A replaced file keeps its permissions (POSIX file systems; elsewhere nothing to do). */
    private static void keepPermissions(Path target, Path tmp) {
        try {
            if (Files.exists(target)) Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(target));
        } catch (UnsupportedOperationException | IOException ignored) {
            // not a POSIX file system, or not ours to read: the umask's mode stays
        }
    }

    /**
     * Deletes the temporary files that interrupted writes of {@code dir/fileName} left behind
     * ({@code .fileName.<hex>.tmp}); returns how many. Call where no other writer of that file runs.
     */
    public static int removeStaleTemporaries(Path dir, String fileName) throws IOException {
        if (!Files.isDirectory(dir)) return 0;
        String prefix = "." + fileName + ".";
        int removed = 0;
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (n.startsWith(prefix) && n.endsWith(TMP_SUFFIX) && n.substring(prefix.length(), n.length() - TMP_SUFFIX.length()).matches("[0-9a-f]+")
                        && Files.isRegularFile(p)) {
                    Files.deleteIfExists(p);
                    removed++;
                }
            }
        }
        return removed;
    }

    public static void write(Path target, byte[] content) throws IOException {
        write(target, ch -> {
            ByteBuffer b = ByteBuffer.wrap(content);
            while (b.hasRemaining()) ch.write(b);
        });
    }

    /** Makes the rename durable where the platform allows opening a directory (Linux); best effort elsewhere. */
    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not supported on this platform: the rename itself is still atomic
        }
    }
}
