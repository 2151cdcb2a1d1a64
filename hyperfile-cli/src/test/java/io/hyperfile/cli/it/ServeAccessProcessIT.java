package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hyperfile serve} (the jar, as a child process) with the access options, driven by nbdinfo and qemu-io: TCP
 * beside a Unix socket, an allow-list that lets the socket use everything and TCP only one volume, one volume
 * read-only; the socket file is gone after SIGTERM.
 */
class ServeAccessProcessIT {
    /** Kept when the test fails: it holds the store and the server's log. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private static String unix(String export, Path socket) {
        return "nbd+unix:///" + export + "?socket=" + socket;
    }

    @Test
    void socketAllowListAndReadOnlyVolumeFromTheCommandLine() throws Exception {
        Assumptions.assumeTrue(Commands.missing("nbdinfo", "qemu-io").isEmpty(), "needs nbdinfo and qemu-io (.ci/run installs them)");
        String store = "file:" + dir.resolve("store");
        for (String v : List.of("disk0", "disk1")) {
            Commands.hyperfile(dir, "volume", "create", v, "--size", "64M", "--store", store).orThrow();
        }
        Path socket = dir.resolve("hf.sock");
        try (ServerProcess server = ServerProcess.start(dir, Map.of(), "--store", store, "--socket", socket.toString(),
                "--allow", "unix", "--allow", "disk1=127.0.0.1", "--read-only-export", "disk0", "--max-connections", "8",
                "--gc", "off", "disk0", "disk1")) {
            String tcp = "nbd://127.0.0.1:" + server.port() + "/";
            assertTrue(Files.exists(socket));

            String list = Commands.run(60, "nbdinfo", "--list", "--json", tcp).orThrow().output();
            assertTrue(list.contains("\"export-name\": \"disk1\""), list);
            assertFalse(list.contains("disk0"), "disk0 is not listed to a TCP client: " + list);
            Commands.Result refused = Commands.run(60, "nbdinfo", tcp + "disk0");
            assertNotEquals(0, refused.exitCode(), refused.toString());
            assertTrue(refused.output().contains("Operation not supported"), "ERR_POLICY: " + refused);

            String ro = Commands.run(60, "nbdinfo", "--json", unix("disk0", socket)).orThrow().output();
            assertTrue(ro.contains("\"is_read_only\": true"), ro);
            Commands.Result write = Commands.run(60, "qemu-io", "-f", "raw", "-c", "write 0 4k", unix("disk0", socket));
            assertNotEquals(0, write.exitCode(), write.toString());
            assertTrue(write.output().contains("Permission denied"), "qemu refuses to open a READ_ONLY export for writing: " + write);

            Commands.run(60, "qemu-io", "-f", "raw", "-c", "write -P 0xab 0 64k", unix("disk1", socket)).orThrow();
            String read = Commands.run(60, "qemu-io", "-f", "raw", "-c", "read -P 0xab 0 64k", tcp + "disk1").orThrow().output();
            assertFalse(read.contains("Pattern verification failed"), read);
            assertEquals(0, server.terminate(60), server.logTail());
        }
        assertFalse(Files.exists(socket), "the socket file is deleted at exit");
    }
}
