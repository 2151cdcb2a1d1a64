package io.hyperfile.cli;

import java.io.PrintWriter;

/**
 * Progress of a long operation on stderr: a line redrawn in place on a terminal, a plain line every few seconds
 * otherwise. Thread-safe.
 */
final class Progress {
    private final PrintWriter err;
    private final String what;
    private final String unit;
    private final long total;
    private final boolean terminal = System.console() != null;
    private final long startNanos = System.nanoTime();
    private long lastPrintNanos = startNanos;

    /** Progress towards {@code total} units (0 if unknown: then no percentage or ETA). */
    Progress(PrintWriter err, String what, String unit, long total) {
        this.err = err;
        this.what = what;
        this.unit = unit;
        this.total = total;
    }

    Progress(PrintWriter err, String what, String unit) {
        this(err, what, unit, 0);
    }

    /** A writer that drops everything: progress for {@code --quiet}. */
    static PrintWriter silent() {
        return new PrintWriter(java.io.OutputStream.nullOutputStream());
    }

    synchronized void update(long done) {
        long now = System.nanoTime();
        long every = terminal ? 200_000_000L : 5_000_000_000L;
        if (now - lastPrintNanos < every) {
            return;
        }
        lastPrintNanos = now;
        double rate = done / Math.max(1e-9, (now - startNanos) / 1e9);
        String line = String.format("%s: %d %s (%.0f/s)", what, done, unit, rate);
        if (total > 0) {
            long etaSeconds = rate > 0 ? (long) ((total - done) / rate) : 0;
            line = String.format("%s: %d/%d %s (%.0f%%, %.0f/s, ETA %d:%02d)", what, done, total, unit,
                    100.0 * done / total, rate, etaSeconds / 60, etaSeconds % 60);
        }
        if (terminal) {
            err.print("\r" + line);
        } else {
            err.println(line);
        }
        err.flush();
    }

    synchronized void done(long done) {
        if (terminal) {
            err.print("\r");
        }
        err.printf("%s: %d %s in %.1f s%n", what, done, unit, (System.nanoTime() - startNanos) / 1e9);
        err.flush();
    }
}
