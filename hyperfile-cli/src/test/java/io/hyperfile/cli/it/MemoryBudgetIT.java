package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar hyperfile.jar serve}, started the way the README says (no JVM flags), runs under its memory
 * budget: the process restarts its own JVM in place with the budget's limits, keeping its PID, so that the
 * server's data still survives {@code kill -9} of that PID and a restart at once finds its port free.
 */
class MemoryBudgetIT {
    @TempDir
    Path dir;

    private static String cmdline(long pid) throws Exception {
        return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
    }

    @Test
    void aServerStartedWithoutJvmFlagsRunsUnderItsBudgetAndKeepsItsPid() throws Exception {
        byte[] data = new byte[64 << 10];
        new Random(1).nextBytes(data);
        try (ServerProcess server = ServerProcess.start(dir, Map.of(), List.of(), "--memory", "512M")) {
            String cmd = cmdline(server.pid());
            assertTrue(cmd.contains("-Xmx192m") && cmd.contains("-XX:MaxDirectMemorySize=256m")
                    && cmd.contains("-XX:+ExitOnOutOfMemoryError"), "the started PID runs with the budget's limits: " + cmd);
            try (NbdTestClient c = NbdTestClient.connect("127.0.0.1", server.port(), "disk0")) {
                c.write(0, data, 0).get(30, TimeUnit.SECONDS);
                c.flush().get(30, TimeUnit.SECONDS);
            }
            server.kill9AndWait();
            assertFalse(server.isAlive());
        }
        try (ServerProcess again = ServerProcess.start(dir, Map.of("HYPERFILE_MEMORY", "768M"), List.of());
                NbdTestClient c = NbdTestClient.connect("127.0.0.1", again.port(), "disk0")) {
            assertTrue(cmdline(again.pid()).contains("-Xmx288m"), "HYPERFILE_MEMORY sets the budget: " + cmdline(again.pid()));
            assertArrayEquals(data, c.read(0, data.length).get(30, TimeUnit.SECONDS), "flushed data survived kill -9");
        }
    }

    @Test
    void aHeapChosenByTheOperatorIsKept() throws Exception {
        try (ServerProcess server = ServerProcess.start(dir, Map.of(), List.of("-Xmx600m"))) {
            String cmd = cmdline(server.pid());
            assertTrue(cmd.contains("-Xmx600m") && !cmd.contains("MaxDirectMemorySize"), "no restart: " + cmd);
            assertTrue(Files.readString(server.log()).contains("was set outside Hyperfile"), server.logTail());
        }
    }
}
