package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.access.AccessConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The access options of {@code serve}: what they turn into, and one line with exit 2 for each bad value. */
class AccessOptionsTest {
    @TempDir
    Path dir;

    private static AccessOptions parse(String... args) {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs(args);
        return serve.access;
    }

    @Test
    void optionsBecomeAnAccessConfig() {
        AccessOptions o = parse("--allow", "10.0.0.0/8", "--allow", "disk1=::1,cn:c1", "--max-connections", "16",
                "--max-connections-per-export", "4", "--max-connections-per-export", "disk1=8", "--read-only-export", "disk1",
                "--socket", "/run/hf.sock");
        AccessConfig c = o.config(List.of("disk0", "disk1"));
        assertEquals("every export: [10.0.0.0/8]; disk1: [::1, cn:c1]", c.policy().toString());
        assertEquals(16, c.maxConnections());
        assertEquals(4, c.maxConnectionsOf("disk0"));
        assertEquals(8, c.maxConnectionsOf("disk1"));
        assertNull(c.defaultExport(), "two volumes and no --default-export: no default");
        assertTrue(o.isReadOnly("disk1"));
        assertFalse(o.isReadOnly("disk0"));
        assertEquals(Path.of("/run/hf.sock"), o.socket);
        assertEquals("disk0", o.config(List.of("disk0")).defaultExport(), "the only volume is the default export");
        assertEquals(List.of(), o.unknownNames(List.of("disk0", "disk1"), c));
        assertEquals(List.of("disk1"), o.unknownNames(List.of("disk0"), c));
    }

    @Test
    void defaultsChangeNothing() {
        AccessOptions o = parse();
        AccessConfig c = o.config(List.of("a", "b"));
        assertFalse(c.policy().isRestricted());
        assertEquals(0, c.maxConnections());
        assertEquals(0, c.maxConnectionsOf("a"));
        assertFalse(o.isReadOnly("a"));
        assertTrue(parse("--read-only").isReadOnly("a"));
        assertEquals("b", parse("--default-export", "b").config(List.of("a", "b")).defaultExport());
        assertEquals(Map.of(), c.maxConnectionsByExport());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--allow|10.0.0.1/8|hyperfile: --allow: invalid allow rule '10.0.0.1/8': '10.0.0.1/8' has bits set past its prefix;"
                + " did you mean 10.0.0.0/8?",
        "--allow|disk0=localhost|hyperfile: --allow: invalid allow rule 'disk0=localhost': 'localhost' is not a rule;",
        "--allow|bad/name=any|hyperfile: --allow: invalid volume name 'bad/name'",
        "--allow|subject:CN|hyperfile: --allow: invalid allow rule 'subject:CN': 'CN' is not a distinguished name",
        "--max-connections|-1|hyperfile: invalid --max-connections -1: use 0 (no limit) or more",
        "--max-connections-per-export|disk0=x|hyperfile: invalid --max-connections-per-export 'disk0=x': use N or EXPORT=N",
        "--max-connections-per-export|-3|hyperfile: invalid --max-connections-per-export '-3'",
        "--read-only-export|../x|hyperfile: --read-only-export: invalid volume name '../x'",
        "--default-export|a b|hyperfile: --default-export: invalid volume name 'a b'",
    })
    void badValuesAreOneLineAndExitTwo(String option, String value, String expected) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Hyperfile.run(new String[] {"serve", "--store=file:" + dir.resolve("data"), option, value},
                new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(2, code, err.toString());
        String first = err.toString().lines().findFirst().orElse("");
        assertTrue(first.startsWith(expected), first);
        assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
        assertFalse(java.nio.file.Files.exists(dir.resolve("data")), "nothing was opened or created");
    }

    @Test
    void aNonNumberIsPicocliUsageError() {
        StringWriter err = new StringWriter();
        int code = Hyperfile.run(new String[] {"serve", "--max-connections", "many"}, new PrintWriter(new StringWriter(), true),
                new PrintWriter(err, true));
        assertEquals(2, code);
        assertTrue(err.toString().startsWith("Invalid value for option '--max-connections': 'many' is not an int"), err.toString());
    }
}
