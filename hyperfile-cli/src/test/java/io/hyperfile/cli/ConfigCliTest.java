package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --config} through the whole command: exit codes and the one-line errors. */
class ConfigCliTest {
    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {
    }

    private Result run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Hyperfile.run(args, new PrintWriter(out, true), new PrintWriter(err, true), env);
        return new Result(code, out.toString(), err.toString());
    }

    private Path conf(String text) throws Exception {
        Path p = dir.resolve("hyperfile.conf");
        Files.writeString(p, text);
        return p;
    }

    @Test
    void theStoreOfTheFileIsUsedAndTheCommandLineOverridesIt() throws Exception {
        Path conf = conf("# volumes\nstore = file:" + dir.resolve("a") + "\nlisten = 0.0.0.0:10809\n");
        assertEquals(0, run(Map.of(), "volume", "create", "one", "--size", "1G", "--config", conf.toString()).code);
        assertEquals(0, run(Map.of(), "volume", "create", "two", "--size", "1G", "--store", "file:" + dir.resolve("b"),
                "--config=" + conf).code);
        Result a = run(Map.of(), "volume", "list", "--config", conf.toString());
        assertEquals(0, a.code, a.err);
        assertTrue(a.out.startsWith("one"), a.out);
        Result viaEnv = run(Map.of("HYPERFILE_CONFIG", conf.toString(), "HYPERFILE_STORE", "file:" + dir.resolve("b")),
                "volume", "list");
        assertTrue(viaEnv.out.startsWith("one"), "HYPERFILE_CONFIG names the file, which wins over HYPERFILE_STORE: " + viaEnv.out);
        Result b = run(Map.of("HYPERFILE_STORE", "file:" + dir.resolve("b")), "volume", "list");
        assertTrue(b.out.startsWith("two"), b.out);
    }

    @Test
    void fileErrorsAreOneLineWithFileLineAndKeyAndExitTwo() throws Exception {
        Path conf = conf("store = file:" + dir.resolve("a") + "\n\n# typo\ngc-intervall = 5m\n");
        Result unknown = run(Map.of(), "serve", "--config", conf.toString());
        assertEquals(2, unknown.code);
        assertEquals("hyperfile: " + conf + ":4: unknown key 'gc-intervall' (did you mean 'gc-interval'?)\n", unknown.err);

        conf = conf("store = file:" + dir.resolve("a") + "\ngc-interval = 5x\n");
        Result bad = run(Map.of(), "volume", "list", "--config", conf.toString());
        assertEquals(2, bad.code, "a bad value of another command's option is still an error");
        assertEquals("hyperfile: " + conf + ":2: gc-interval: invalid duration '5x': use 0 or a number with ms, s, m, h"
                + " or d (e.g. 30s, 10m, 1h)\n", bad.err);

        Result missing = run(Map.of(), "serve", "--config", dir.resolve("nope.conf").toString());
        assertEquals(2, missing.code);
        assertEquals("hyperfile: " + dir.resolve("nope.conf") + ": no such file\n", missing.err);

        conf = conf("config = /etc/other.conf\n");
        Result nested = run(Map.of(), "serve", "--config", conf.toString());
        assertEquals(2, nested.code);
        assertEquals("hyperfile: " + conf + ":1: config: a configuration file cannot name another; give --config on the"
                + " command line\n", nested.err);
    }

    @Test
    void aValueTheCommandRejectsLaterStillNamesItsLine() throws Exception {
        Path conf = conf("store = file:" + dir.resolve("a") + "\nlisten = localhost\n");
        Result r = run(Map.of(), "serve", "--config", conf.toString());
        assertEquals(2, r.code);
        assertEquals("hyperfile: " + conf + ":2: invalid --listen 'localhost': use HOST:PORT, e.g. 127.0.0.1:10809\n", r.err);
    }

    @Test
    void loggingOptionsAreCheckedLikeOthers() throws Exception {
        Result r = run(Map.of(), "volume", "list", "--store", "file:" + dir.resolve("a"), "--log-level", "loud");
        assertEquals(2, r.code);
        assertTrue(r.err.startsWith("Invalid value for option '--log-level'"), r.err);
        Path conf = conf("log-format = xml\n");
        Result f = run(Map.of(), "volume", "list", "--config", conf.toString());
        assertEquals(2, f.code);
        assertTrue(f.err.startsWith("hyperfile: " + conf + ":1: log-format: invalid value: expected one of [TEXT, JSON]"), f.err);
        assertEquals(0, run(Map.of(), "volume", "list", "--store", "file:" + dir.resolve("a"), "--log-level=warn").code);
    }
}
