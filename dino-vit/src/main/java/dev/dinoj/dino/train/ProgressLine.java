package dev.dinoj.dino.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A live one-line progress display: rewritten in place with a carriage return on a terminal, printed
 * every few seconds as plain lines when the output is a file or a pipe.
 */
final class ProgressLine {
    private final PrintStream out;
    private final boolean terminal;
    private long lastPrint;
    private int lastLength;

    ProgressLine(PrintStream out) {
        this.out = out;
        this.terminal = System.console() != null;
    }

    void update(String text) {
        long now = System.nanoTime();
        if (terminal) {
            String padded = text.length() < lastLength ? text + " ".repeat(lastLength - text.length()) : text;
            out.print("\r" + padded);
            out.flush();
            lastLength = text.length();
        } else if (now - lastPrint > 10_000_000_000L) {
            out.println(text);
            lastPrint = now;
        }
    }

    /** Ends the current line (on a terminal) so that other messages start on a fresh one. */
    void finish(String text) {
        if (terminal) {
            update(text);
            out.println();
            lastLength = 0;
        } else {
            out.println(text);
        }
    }

    static String duration(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        if (s >= 3600) return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
        if (s >= 60) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        return s + "s";
    }
}
