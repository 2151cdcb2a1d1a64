package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve --metrics}: a bad address is one line and exit 2; an address in use is one line and exit 1. */
class MetricsOptionsTest {
    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {
    }

    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Hyperfile.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    private String store() {
        return "--store=file:" + dir.resolve("data");
    }

    @Test
    void aBadAddressIsOneLineAndExitTwo() {
        for (List<String> bad : List.of(
                List.of("localhost", "invalid --metrics 'localhost': use HOST:PORT, e.g. 127.0.0.1:9400"),
                List.of("127.0.0.1:http", "invalid --metrics '127.0.0.1:http': the port must be a number"),
                List.of("127.0.0.1:70000", "invalid --metrics '127.0.0.1:70000': the port must be in 0..65535"),
                List.of("no-such-host.invalid:9400", "invalid --metrics 'no-such-host.invalid:9400': unknown host"
                        + " 'no-such-host.invalid'"))) {
            Result r = run("serve", "--listen", "127.0.0.1:0", "--metrics", bad.get(0), store());
            assertEquals(2, r.code, r.err);
            assertEquals("hyperfile: " + bad.get(1), r.err.lines().findFirst().orElse(""), r.err);
            assertTrue(r.err.lines().noneMatch(l -> l.startsWith("\tat ")), "no stack trace: " + r.err);
            assertEquals("", r.out);
        }
    }

    @Test
    void anAddressInUseIsOneLineAndExitOne() throws Exception {
        assertEquals(0, run("volume", "create", "v", "--size", "1M", store()).code);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Result r = run("serve", "--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:" + port, store());
            assertEquals(1, r.code, r.err);
            List<String> lines = r.err.lines().filter(l -> l.startsWith("hyperfile: ")).toList();
            assertEquals(List.of("hyperfile: cannot listen for metrics on 127.0.0.1:" + port + ": Address already in use"),
                    lines, r.err);
            assertEquals("", r.out, "nothing served");
        }
    }
}
