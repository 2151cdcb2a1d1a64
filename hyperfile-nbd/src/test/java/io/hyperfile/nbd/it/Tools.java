package io.hyperfile.nbd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs the real NBD clients as processes, with timeouts. */
final class Tools {
    private Tools() {
    }

    /** Skips the test if a binary is missing (locally only: .ci/run installs every one of them). */
    static void require(String... binaries) {
        for (String b : binaries) {
            Assumptions.assumeTrue(find(b) != null, b + " is not installed; .ci/run installs it (apt package list)");
        }
    }

    static Path find(String binary) {
        for (String dir : (System.getenv("PATH") + ":/usr/sbin:/sbin").split(File.pathSeparator)) {
            Path p = Path.of(dir, binary);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Whether we may mount file systems here (root, /dev/fuse, a loop device). */
    static void requireMountPrivileges() {
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/fuse")), "/dev/fuse is missing");
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "mounting needs root");
    }

    record Result(int exitCode, String output) {
    }

    /** Runs a command, merging stderr into stdout; fails the test if it does not finish in time. */
    static Result run(int timeoutSeconds, List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        StringBuilder out = new StringBuilder();
        Thread drain = new Thread(() -> {
            try {
                out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // process killed
            }
        });
        drain.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            drain.join(5000);
            fail("timed out after " + timeoutSeconds + " s: " + String.join(" ", command) + "\n" + out);
        }
        drain.join(10_000);
        return new Result(p.exitValue(), out.toString());
    }

    /** Runs a command that must succeed; returns its output. */
    static String ok(int timeoutSeconds, String... command) throws IOException, InterruptedException {
        Result r = run(timeoutSeconds, List.of(command));
        assertEquals(0, r.exitCode(), String.join(" ", command) + " failed:\n" + r.output());
        return r.output();
    }
}
