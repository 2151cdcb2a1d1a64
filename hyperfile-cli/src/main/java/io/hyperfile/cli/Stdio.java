package io.hyperfile.cli;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * The process's binary standard input and output, for {@code import -} and {@code export -} (the commands' text
 * output goes through picocli's writers instead). Tests replace them with {@link #use}. Not thread-safe: set before
 * a command runs.
 */
final class Stdio {
    private static InputStream in = System.in;
    private static OutputStream out = System.out;

    private Stdio() {
    }

    static InputStream in() {
        return in;
    }

    static OutputStream out() {
        return out;
    }

    /** Replaces standard input and output (null: the process's own). */
    static void use(InputStream newIn, OutputStream newOut) {
        in = newIn == null ? System.in : newIn;
        out = newOut == null ? System.out : newOut;
    }
}
