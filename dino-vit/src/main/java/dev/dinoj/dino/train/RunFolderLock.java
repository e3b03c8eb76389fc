package dev.dinoj.dino.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The exclusive right to write into a run folder, held by a training run from before it touches the
 * folder until it closes: an OS lock on {@code .dino.lock} there (which records the holder's pid).
 * Without it a second {@code --resume} of the same run would delete the first's live temporary files
 * and interleave checkpoints. The OS releases the lock when the process ends however it ends, so a
 * killed run never leaves the folder locked.
 */
public final class RunFolderLock implements AutoCloseable {
    public static final String FILE = ".dino.lock";

    /** Folders locked by this JVM: OS file locks are per process, so a second run in this process is caught here. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path folder;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean closed;

    private RunFolderLock(Path folder, FileChannel channel, FileLock lock) {
        this.folder = folder;
        this.channel = channel;
        this.lock = lock;
    }

    /** Creates the folder if needed and locks it, or says which process holds it. */
    public static RunFolderLock acquire(Path folder) throws IOException {
        Files.createDirectories(folder);
        Path real = folder.toRealPath();
        if (!HELD.add(real)) {
            throw new IllegalStateException("--out " + folder + " is in use by another run in this process");
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(real.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new IllegalStateException("--out " + folder + " is in use by another dino process (" + holder(channel)
                        + "): let it finish or stop it, or train into another folder");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            return new RunFolderLock(real, channel, lock);
        } catch (IOException | RuntimeException e) {
            try {
                if (channel != null) channel.close();
            } finally {
                HELD.remove(real);
            }
            throw e;
        }
    }

    private static String holder(FileChannel channel) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            channel.read(b, 0);
            String pid = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).trim();
            return pid.matches("\\d+") ? "pid " + pid : "pid unknown";
        } catch (IOException e) {
            return "pid unknown";
        }
    }

    /** Releases the lock (the file stays: deleting it would race with a process about to lock it). */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            try {
                if (lock.isValid()) lock.release();
            } finally {
                channel.close(); // releases the lock whatever release() did
            }
        } catch (IOException ignored) {
            // nothing left to release: the channel is closed
        } finally {
            HELD.remove(folder);
        }
    }
}
