package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
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
 * {@code hyperfile serve} (the jar, as a child process) while other {@code hyperfile} processes change the store:
 * a volume and a snapshot created while it runs are exported after SIGHUP and read back over NBD (and listed by
 * {@code nbdinfo --list} where it is installed); a deleted snapshot's export disappears; {@code volume delete} of a
 * served volume is refused while the server runs, and works right after the server was killed with SIGKILL: its lease
 * is still fresh, but it names a PID on this host that no longer runs. (A lease gone stale by time is covered by
 * LeaseGuardTest.) {@code volume delete --force} of a served volume works,
 * and the server withdraws it. The test waits on the server's own stdout line after each SIGHUP, never on a timer.
 */
class ServeLiveIT {
    private static final int IMAGE_BYTES = 1 << 20;
    private static final long TIMEOUT_SECONDS = 60;

    /** Kept when the test fails: it holds the store and the servers' logs (serve-N.log). */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private static byte[] image(int seed) {
        byte[] b = new byte[IMAGE_BYTES];
        new Random(seed).nextBytes(b);
        return b;
    }

    private String store() {
        return "file:" + dir.resolve("store");
    }

    private Commands.Result hyperfile(String... args) throws IOException, InterruptedException {
        return hyperfile(List.of("-Xmx256m"), args);
    }

    private Commands.Result hyperfile(List<String> jvmArgs, String... args) throws IOException, InterruptedException {
        String[] full = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of("--store", store()))
                .toArray(String[]::new);
        return Commands.run(120, dir, Map.of(), ServerProcess.command(jvmArgs, full));
    }

    private void importImage(String volume, byte[] image) throws IOException, InterruptedException {
        Path file = dir.resolve(volume + ".img");
        Files.write(file, image);
        hyperfile("import", file.toString(), volume).orThrow();
    }

    private static byte[] read(int port, String export) throws Exception {
        try (NbdTestClient client = NbdTestClient.connect("127.0.0.1", port, export)) {
            return client.read(0, IMAGE_BYTES).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    /**
     * Sends SIGHUP and returns the server's line saying what the rescan changed. If none comes, the failure says
     * whether the process had the signal caught, ignored or blocked ({@code /proc/PID/status}).
     */
    private static String hangup(ServerProcess server) throws Exception {
        Commands.run(30, "kill", "-HUP", Long.toString(server.pid())).orThrow();
        try {
            return server.awaitStdout("hyperfile: rescan: ", TIMEOUT_SECONDS);
        } catch (IOException e) {
            throw new IOException("no rescan after SIGHUP; signal masks of pid " + server.pid() + " (bit 0 is SIGHUP): "
                    + signalMasks(server.pid()), e);
        }
    }

    private static String signalMasks(long pid) {
        try {
            return String.join(", ", Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                    .filter(l -> l.startsWith("SigBlk") || l.startsWith("SigIgn") || l.startsWith("SigCgt")).toList());
        } catch (IOException e) {
            return "unreadable (" + e.getMessage() + ")";
        }
    }

    /**
     * Started with SIGHUP ignored (nohup), a process cannot catch it: the JVM keeps the signal ignored and installs no
     * handler. serve says so at start instead of ignoring every SIGHUP silently.
     */
    @Test
    void aServerStartedUnderNohupSaysItCannotRescanOnSighup() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Commands.onPath("nohup"), "nohup (coreutils) is not installed");
        importImage("a", image(3));
        try (ServerProcess server = ServerProcess.startUnder(List.of("nohup"), dir, Map.of(), List.of("-Xmx768m"),
                "--store", store(), "--rescan-interval", "0", "--gc", "off")) {
            assertTrue(server.logTail().contains("SIGHUP cannot be caught in this process (started with it ignored, as "
                    + "nohup does, or with -Xrs): the store is rescanned only every --rescan-interval (0: never)"),
                    server.logTail());
        }
    }

    @Test
    void createdAndDeletedWhileServingAndAServedVolumeIsHeld() throws Exception {
        byte[] a = image(1);
        importImage("a", a);
        byte[] b = image(2);
        try (ServerProcess server = ServerProcess.start(dir, Map.of(), "--store", store(), "--rescan-interval", "0", "--gc", "off")) {
            int port = server.port();
            hyperfile("snapshot", "create", "a", "s1").orThrow();
            importImage("b", b);
            assertThrows(IOException.class, () -> read(port, "a@s1"), "not before the rescan");
            assertFalse(server.logTail().contains("SIGHUP cannot be caught"), "this environment started the server with "
                    + "SIGHUP ignored (nohup?), so this test cannot run here: " + server.logTail());

            assertEquals("hyperfile: rescan: now serving b, a@s1", hangup(server), server.logTail());
            assertArrayEquals(a, read(port, "a@s1"));
            assertArrayEquals(b, read(port, "b"));
            if (Commands.onPath("nbdinfo")) {
                Commands.Result list = Commands.run(60, "nbdinfo", "--list", "nbd://127.0.0.1:" + port);
                assertEquals(0, list.exitCode(), list.toString());
                for (String export : List.of("a", "a@s1", "b")) {
                    assertTrue(list.output().contains("export=\"" + export + "\""), list.toString());
                }
            }

            hyperfile("snapshot", "delete", "a", "s1").orThrow();
            assertEquals("hyperfile: rescan: no longer serving a@s1", hangup(server), server.logTail());
            IOException gone = assertThrows(IOException.class, () -> read(port, "a@s1"));
            assertTrue(gone.getMessage().endsWith("export 'a@s1' is no longer served: the snapshot was deleted"), gone.getMessage());

            Commands.Result refused = hyperfile("volume", "delete", "a");
            assertEquals(1, refused.exitCode(), refused.toString());
            String line = refused.output().strip();
            assertTrue(line.matches("hyperfile: volume a is served by host .+, pid " + server.pid() + ", serving on 127.0.0.1:" + port
                    + " \\(lease renewed \\d+ s ago\\); stop that server first, or add --force to delete it anyway"), line);

            server.kill9AndWait();
            // The lease is still fresh, but its server ran here under a PID that no longer runs: it is gone.
            Commands.Result afterKill = hyperfile("volume", "delete", "a");
            assertEquals(0, afterKill.exitCode(), afterKill.toString());
            assertTrue(afterKill.output().contains("but no process " + server.pid() + " runs on this host: that server is gone"),
                    afterKill.toString());
            assertFalse(Files.exists(dir.resolve("store/a/volume")));
        }

        try (ServerProcess server = ServerProcess.start(dir, Map.of(), "--store", store(), "--rescan-interval", "0", "--gc", "off")) {
            assertArrayEquals(b, read(server.port(), "b"));
            Commands.Result forced = hyperfile("volume", "delete", "b", "--force");
            assertEquals(0, forced.exitCode(), forced.toString());
            assertTrue(forced.output().startsWith("hyperfile: warning: volume b is served by host "), forced.toString());
            assertEquals("hyperfile: rescan: no longer serving b", hangup(server), server.logTail());
            IOException gone = assertThrows(IOException.class, () -> read(server.port(), "b"));
            assertTrue(gone.getMessage().endsWith("export 'b' is no longer served: the volume was deleted"), gone.getMessage());
            assertEquals(0, server.terminate(120), "exit code after SIGTERM; log:\n" + server.logTail());
        }
        assertEquals("", hyperfile("volume", "list").output(), "nothing left, not even a half-deleted volume");
    }
}
