package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hyperfile serve} (the jar, as a child process) on a store where one volume's newest segment is garbled and
 * another is half-deleted: it serves the healthy volume and its snapshot, which read back over NBD, and reports each
 * broken volume with one line naming it and saying why.
 */
class ServePartialIT {
    private static final int IMAGE_BYTES = 1 << 20;

    /** Kept when the test fails: it holds the store and the server's log (serve-1.log). */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private static byte[] image(int seed) {
        byte[] b = new byte[IMAGE_BYTES];
        new Random(seed).nextBytes(b);
        return b;
    }

    private void importImage(String store, String volume, byte[] image) throws IOException, InterruptedException {
        Path file = dir.resolve(volume + ".img");
        Files.write(file, image);
        Commands.hyperfile(dir, "import", file.toString(), volume, "--store", store).orThrow();
    }

    private static byte[] read(int port, String export) throws Exception {
        try (NbdTestClient client = NbdTestClient.connect("127.0.0.1", port, export)) {
            return client.read(0, IMAGE_BYTES).get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void theHealthyVolumeIsServedAndEachBrokenOneReportedInOneLine() throws Exception {
        Path data = dir.resolve("store");
        String store = "file:" + data;
        byte[] good = image(1);
        importImage(store, "good", good);
        importImage(store, "bad", image(2));
        importImage(store, "half", image(3));
        Commands.hyperfile(dir, "snapshot", "create", "good", "s1", "--store", store).orThrow();
        Path newest;
        try (var segments = Files.list(data.resolve("bad/seg"))) {
            newest = segments.max(Path::compareTo).orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(newest);
        bytes[bytes.length - 1] ^= 0x5a; // the footer's checksum
        Files.write(newest, bytes);
        Files.delete(data.resolve("half/volume")); // a delete that stopped after its first step

        try (ServerProcess server = ServerProcess.start(dir, Map.of(), "--store", store)) {
            assertArrayEquals(good, read(server.port(), "good"));
            assertArrayEquals(good, read(server.port(), "good@s1"));
            IOException bad = assertThrows(IOException.class, () -> read(server.port(), "bad"));
            assertTrue(bad.getMessage().contains("export 'bad' cannot be served: corrupt data in bad/seg/"), bad.getMessage());

            List<String> reported = Files.readAllLines(server.log(), StandardCharsets.UTF_8).stream()
                    .filter(l -> l.startsWith("hyperfile: ")).toList();
            assertEquals(2, reported.size(), "one line per broken volume; log:\n" + server.logTail());
            assertTrue(reported.contains("hyperfile: cannot serve volume half: it has data but no volume descriptor half/volume"
                    + " (a half-deleted volume); finish deleting it with: hyperfile volume delete half"), reported.toString());
            String badLine = reported.stream().filter(l -> l.startsWith("hyperfile: cannot serve volume bad: ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no line for volume bad: " + reported));
            assertTrue(badLine.matches("hyperfile: cannot serve volume bad: corrupt data in bad/seg/\\d{20} at offset \\d+: .*checksum.*"),
                    badLine);
            assertEquals(0, server.terminate(120), "exit code after SIGTERM; log:\n" + server.logTail());
        }
    }
}
