package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * CI smoke of the benchmark suite: {@code bench/run.sh --smoke} (local mode, 1 repetition, about 1 s per workload,
 * Hyperfile's CLI jar vs {@code nbdkit memory}) must exit 0 and print a table with a row per workload and positive
 * throughput on both sides. It checks that the suite runs, not how fast anything is. Skipped, with the reason,
 * where fio (with its nbd engine) or nbdkit is missing; CI installs both ({@code .ci/run}).
 */
class BenchSmokeIT {
    private static final List<String> WORKLOADS = List.of("randread-4k-qd1", "randread-4k-qd32", "randwrite-4k-qd1",
            "randwrite-4k-qd32", "seqread-1m-qd8", "seqwrite-1m-qd8", "flush32-randwrite-4k-qd32",
            "randrw-mixed-16jobs");
    private static final long TIMEOUT_SECONDS = 240;

    @Test
    void smokeRunPrintsOneRowPerWorkloadWithPositiveNumbers() throws Exception {
        List<String> missing = Commands.missing("fio", "nbdkit", "python3", "bash");
        assumeTrue(missing.isEmpty(), "not on the PATH: " + String.join(", ", missing) + " (Debian packages fio, nbdkit)");
        assumeTrue(Commands.run(30, "fio", "--enghelp=nbd").exitCode() == 0,
                "this fio has no nbd engine (Debian's fio links libnbd)");

        Path jar = Path.of(System.getProperty("hyperfile.jar", "target/hyperfile.jar")).toAbsolutePath();
        Path root = jar.getParent().getParent().getParent();
        Path script = root.resolve("bench/run.sh");
        assertTrue(Files.isExecutable(script), "not executable: " + script);
        Path results = jar.getParent().resolve("bench-smoke");
        int portBase = freePortBase();

        List<String> command = List.of("bash", script.toString(), "--smoke", "--results", results.toString(),
                "--port-base", Integer.toString(portBase));
        Path log = jar.getParent().resolve("bench-smoke.log");
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().remove("HYPERFILE_STORE");
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            // bash's EXIT trap does not run on SIGKILL: stop its children (servers, fio) first.
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor();
            fail("bench/run.sh --smoke did not finish within " + TIMEOUT_SECONDS + " s:\n" + read(log));
        }
        String output = read(log);
        assertEquals(0, p.exitValue(), () -> "bench/run.sh --smoke exited " + p.exitValue() + ":\n" + output);

        List<String> problems = new ArrayList<>();
        for (String workload : WORKLOADS) {
            String row = output.lines().filter(l -> l.startsWith("| " + workload + " |")).findFirst().orElse(null);
            if (row == null) {
                problems.add(workload + ": no row");
                continue;
            }
            String[] cells = row.split("\\|");
            // cells: "", workload, metric, Hyperfile, peer, ratio, ...
            double hyperfile = number(cells[3]);
            double peer = number(cells[4]);
            if (!(hyperfile > 0 && peer > 0)) {
                problems.add(workload + ": Hyperfile " + cells[3].trim() + ", nbdkit " + cells[4].trim());
            }
        }
        assertTrue(problems.isEmpty(), () -> "bad rows " + problems + " in:\n" + output);
    }

    private static double number(String cell) {
        try {
            return Double.parseDouble(cell.trim().replace(",", ""));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no output)";
    }

    /** A base port P with P..P+4 free on 127.0.0.1 now (run.sh uses P..P+3), chosen at random away from 10809. */
    private static int freePortBase() throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (int attempt = 0; attempt < 100; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 60_000);
            List<ServerSocket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 5; i++) {
                    held.add(new ServerSocket(base + i, 1, loopback));
                }
                return base;
            } catch (IOException taken) {
                // try another base
            } finally {
                for (ServerSocket s : held) {
                    s.close();
                }
            }
        }
        throw new IOException("no 5 consecutive free ports found on 127.0.0.1");
    }
}
