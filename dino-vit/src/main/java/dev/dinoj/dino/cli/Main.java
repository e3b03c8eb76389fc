package dev.dinoj.dino.cli;

import dev.dinoj.dino.data.ImageFiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The dino command: train, knn, linear, embed and attention subcommands. */
@Command(name = "dino", mixinStandardHelpOptions = true, version = "dinoj 0.1.0",
        description = "DINO self-supervised Vision Transformer training and evaluation, in Java.",
        subcommands = {TrainCommand.class, KnnCommand.class, LinearCommand.class, EmbedCommand.class, AttentionCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The decompression-bomb guard, given on any subcommand; it sets the limit {@link ImageFiles} reads. */
    @CommandLine.Option(names = "--max-pixels", scope = CommandLine.ScopeType.INHERIT, paramLabel = "N",
            description = "largest image (width x height) decoded; larger files are refused before decoding, as possible decompression bombs "
                    + "(default: " + ImageFiles.DEFAULT_MAX_PIXELS + ", PIL's limit)")
    void maxPixels(long n) {
        if (n <= 0) throw new CommandLine.ParameterException(spec.commandLine(), "--max-pixels must be positive, got " + n);
        System.setProperty(ImageFiles.MAX_PIXELS_PROPERTY, Long.toString(n));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: train, knn, linear, embed or attention");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code (0 success, 1 failure, 2 bad usage). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // one clear message, not a stack trace: the exception messages name the problem
            cmd.getErr().println(cmd.getColorScheme().errorText("error: " + describe(ex)));
            if (System.getenv("DINOJ_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        try {
            return cl.execute(args);
        } catch (ExceptionInInitializerError e) {
            // a bad system property (dinoj.threads, dinoj.gemm.*, dinoj.spinMicros) fails the start-up of the class that reads it
            System.err.println("error: " + describe(e));
            if (System.getenv("DINOJ_DEBUG") != null) e.printStackTrace();
            return 1;
        } catch (OutOfMemoryError e) {
            // the last resort (settings are checked against the heap before training): one line, not a trace
            System.err.println("error: out of memory (" + e.getMessage() + "): lower --batch-size, the model or image sizes, "
                    + "or give the JVM more with DINOJ_JAVA_OPTS=-Xmx<size>");
            return 1;
        }
    }

    static String describe(Throwable ex) {
        if (ex instanceof ExceptionInInitializerError && ex.getCause() != null) return describe(ex.getCause());
        if (ex instanceof java.nio.file.NoSuchFileException) {
            java.nio.file.NoSuchFileException e = (java.nio.file.NoSuchFileException) ex;
            return (e.getReason() != null ? e.getReason() : "file not found") + ": " + e.getFile();
        }
        if (ex instanceof java.nio.file.AccessDeniedException) return "permission denied: " + ((java.nio.file.FileSystemException) ex).getFile();
        if (ex instanceof java.nio.file.FileAlreadyExistsException) return "already exists: " + ((java.nio.file.FileSystemException) ex).getFile();
        if (ex instanceof java.nio.file.NotDirectoryException) return "not a folder: " + ((java.nio.file.FileSystemException) ex).getFile();
        if (ex instanceof java.nio.file.FileSystemException) {
            java.nio.file.FileSystemException e = (java.nio.file.FileSystemException) ex;
            return (e.getReason() != null ? e.getReason() : "cannot access the file") + ": " + e.getFile();
        }
        String m = ex.getMessage();
        return m == null ? ex.getClass().getSimpleName() : m;
    }
}
