package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hyperfile serve} (the jar, as a child process) driven by qemu-img and nbdcopy: a qcow2 image converted into
 * a served volume through {@code nbd://} and back (docs/IMPORT-EXPORT.md), then the volume's earlier state read back
 * through the point-in-time exports {@code VOLUME@seq:N} and {@code VOLUME@time:T} (docs/POINT-IN-TIME.md) after
 * the volume was overwritten.
 */
class PointInTimeIT {
    private static final int SIZE = 8 << 20;

    /** Kept when the test fails: it holds the store and the server's log. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private static byte[] image(long seed) {
        Random rnd = new Random(seed);
        byte[] b = new byte[SIZE];
        for (int at = 0; at < SIZE; at += 256 << 10) { // data and holes
            byte[] part = new byte[64 << 10];
            rnd.nextBytes(part);
            System.arraycopy(part, 0, b, at, part.length);
        }
        return b;
    }

    private long newestSegment(String store) throws Exception {
        String info = Commands.hyperfile(dir, "volume", "info", "vm", "--store", store).orThrow().output();
        Matcher m = Pattern.compile("newest segment:\\s+(\\d+)").matcher(info);
        assertTrue(m.find(), info);
        return Long.parseLong(m.group(1));
    }

    @Test
    void qcow2IntoAServedVolumeAndBackAndEarlierStatesThroughSeqAndTimeExports() throws Exception {
        Assumptions.assumeTrue(Commands.missing("qemu-img", "nbdcopy", "nbdinfo").isEmpty(),
                "needs qemu-img (qemu-utils), nbdcopy and nbdinfo (libnbd-bin)");
        String store = "file:" + dir.resolve("store");
        byte[] a = image(1);
        Files.write(dir.resolve("a.raw"), a);
        Commands.run(60, "qemu-img", "convert", "-f", "raw", "-O", "qcow2", dir.resolve("a.raw").toString(),
                dir.resolve("a.qcow2").toString()).orThrow();
        Commands.hyperfile(dir, "volume", "create", "vm", "--size", "8M", "--store", store).orThrow();
        try (ServerProcess server = ServerProcess.start(dir, Map.of(), "--store", store, "--gc", "off", "vm")) {
            String url = "nbd://127.0.0.1:" + server.port() + "/";
            Commands.run(120, "qemu-img", "convert", "-n", "-f", "qcow2", "-O", "raw", dir.resolve("a.qcow2").toString(),
                    url + "vm").orThrow();
            long seqA = newestSegment(store);
            Instant afterA = Instant.now();

            Commands.run(120, "qemu-img", "convert", "-f", "raw", "-O", "qcow2", url + "vm", dir.resolve("back.qcow2").toString())
                    .orThrow();
            Commands.run(60, "qemu-img", "convert", "-f", "qcow2", "-O", "raw", dir.resolve("back.qcow2").toString(),
                    dir.resolve("back.raw").toString()).orThrow();
            assertArrayEquals(a, Files.readAllBytes(dir.resolve("back.raw")), "qcow2 -> volume -> qcow2 keeps every byte");

            byte[] b = image(2);
            Files.write(dir.resolve("b.raw"), b);
            while (!Instant.now().isAfter(afterA.plusMillis(1))) {
                Thread.onSpinWait(); // b's checkpoints must be written in a later millisecond than afterA
            }
            Commands.run(120, "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", dir.resolve("b.raw").toString(), url + "vm")
                    .orThrow();
            assertTrue(newestSegment(store) > seqA);

            for (String ref : new String[] {"vm@seq:" + seqA, "vm@time:" + afterA}) {
                Path out = dir.resolve("pit.raw");
                Files.deleteIfExists(out);
                Files.createFile(out);
                Commands.run(120, "nbdcopy", url + ref, out.toString()).orThrow();
                assertArrayEquals(a, Files.readAllBytes(out), ref + " reads the state before b");
                String info = Commands.run(60, "nbdinfo", "--json", url + ref).orThrow().output();
                assertTrue(info.contains("\"is_read_only\": true"), info);
            }
            Path now = dir.resolve("now.raw");
            Files.createFile(now);
            Commands.run(120, "nbdcopy", url + "vm", now.toString()).orThrow();
            assertArrayEquals(b, Files.readAllBytes(now));

            Commands.Result missing = Commands.run(60, "nbdinfo", url + "vm@seq:99999");
            assertNotEquals(0, missing.exitCode(), missing.toString());
            assertTrue(missing.output().contains("No such file or directory for export: vm@seq:99999"), "ERR_UNKNOWN: " + missing);
            String log = server.logTail();
            assertTrue(log.contains("vm@seq:99999: cannot serve: no checkpoint vm@seq:99999 (never written, or deleted by garbage"
                    + " collection)"), log);
        }
    }
}
