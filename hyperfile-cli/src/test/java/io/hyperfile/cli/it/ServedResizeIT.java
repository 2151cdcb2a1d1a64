package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hyperfile volume resize} of a volume that {@code hyperfile serve} (the jar, as a child process, rescanning
 * every second) is serving, end to end (docs/RESIZE.md): a pattern written at the old end over NBD survives, the grow
 * waits until the server applied it, a new connection ({@code nbdinfo}) sees the new size, the grown range reads zeroes
 * ({@code nbdcopy}), and a shrink of the served volume is refused in one line with nothing changed.
 */
class ServedResizeIT {
    private static final long OLD_SIZE = 64L << 20;
    private static final long NEW_SIZE = 96L << 20;
    private static final long TIMEOUT_SECONDS = 60;

    /** Kept when the test fails: it holds the store and the server's log (serve-N.log). */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private String store() {
        return "file:" + dir.resolve("store");
    }

    private Commands.Result hyperfile(String... args) throws IOException, InterruptedException {
        String[] full = java.util.stream.Stream.concat(Arrays.stream(args), java.util.stream.Stream.of("--store", store()))
                .toArray(String[]::new);
        return Commands.run(120, dir, Map.of(), ServerProcess.command(List.of("-Xmx256m"), full));
    }

    private static long nbdSize(int port) throws IOException, InterruptedException {
        Commands.Result r = Commands.run(TIMEOUT_SECONDS, "nbdinfo", "--size", "nbd://127.0.0.1:" + port + "/vol");
        assertEquals(0, r.exitCode(), r.toString());
        return Long.parseLong(r.output().strip());
    }

    @Test
    void growsAServedVolumeAndRefusesToShrinkIt() throws Exception {
        List<String> missing = Commands.missing("nbdinfo", "nbdcopy");
        assumeTrue(missing.isEmpty(), "not installed: " + missing);
        hyperfile("volume", "create", "vol", "--size", "64M").orThrow();
        byte[] tail = new byte[64 << 10];
        new Random(7).nextBytes(tail);
        try (ServerProcess server = ServerProcess.start(dir, Map.of(), "--store", store(), "--rescan-interval", "1s", "--gc", "off")) {
            int port = server.port();
            assertEquals(OLD_SIZE, nbdSize(port));
            try (NbdTestClient client = NbdTestClient.connect("127.0.0.1", port, "vol")) {
                client.write(OLD_SIZE - tail.length, tail, 0).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                client.flush().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }

            Commands.Result grow = hyperfile("volume", "resize", "vol", "96M", "--wait", "60s");
            assertEquals(0, grow.exitCode(), grow + "\nserver log:\n" + server.logTail());
            assertTrue(grow.output().contains("resized volume vol from 64 MiB (" + OLD_SIZE + " bytes) to 96 MiB (" + NEW_SIZE + " bytes)"), grow.toString());
            assertEquals(NEW_SIZE, nbdSize(port), "a new connection sees the new size");

            Path copy = dir.resolve("copy.img");
            Commands.run(TIMEOUT_SECONDS, "nbdcopy", "nbd://127.0.0.1:" + port + "/vol", copy.toString()).orThrow();
            byte[] all = Files.readAllBytes(copy);
            assertEquals(NEW_SIZE, all.length);
            assertArrayEquals(tail, Arrays.copyOfRange(all, (int) (OLD_SIZE - tail.length), (int) OLD_SIZE), "the old end kept its data");
            byte[] grown = Arrays.copyOfRange(all, (int) OLD_SIZE, (int) NEW_SIZE);
            assertArrayEquals(new byte[grown.length], grown, "the grown range reads zeroes");

            Commands.Result shrink = hyperfile("volume", "resize", "vol", "32M", "--allow-shrink");
            assertNotEquals(0, shrink.exitCode(), shrink.toString());
            String line = shrink.output().strip();
            assertEquals(1, line.lines().count(), shrink.toString());
            assertTrue(line.startsWith("hyperfile: volume vol is served by a running server, which grows a volume but never shrinks it"),
                    line);
            assertEquals(NEW_SIZE, nbdSize(port), "the refused shrink changed nothing");
            assertEquals(0, server.terminate(120), "exit code after SIGTERM; log:\n" + server.logTail());
        }
    }
}
