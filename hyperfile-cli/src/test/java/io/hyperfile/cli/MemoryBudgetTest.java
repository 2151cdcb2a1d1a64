package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryBudgetTest {
    @TempDir
    Path dir;

    @Test
    void theBudgetComesFromTheCommandLineThenTheConfigFileThenTheEnvironment() throws Exception {
        Path conf = Files.writeString(dir.resolve("h.conf"), "# comment\nmemory = 2G\nlisten = 0.0.0.0:1\n");
        Map<String, String> env = Map.of("HYPERFILE_MEMORY", "768M");
        assertEquals(1L << 30, MemoryBudget.of(new String[] {"serve"}, Map.of()).totalBytes());
        assertEquals(768L << 20, MemoryBudget.of(new String[] {"serve"}, env).totalBytes());
        assertEquals(2L << 30, MemoryBudget.of(new String[] {"serve", "--config", conf.toString()}, env).totalBytes());
        assertEquals(512L << 20, MemoryBudget.of(new String[] {"serve", "--config=" + conf, "--memory", "512M"}, env).totalBytes());
        assertEquals(3L << 30, MemoryBudget.of(new String[] {"serve", "--memory=3G"}, env).totalBytes());
        assertEquals(768L << 20, MemoryBudget.of(new String[] {"serve", "--", "--memory", "3G"}, env).totalBytes(),
                "after -- it is a volume name, not an option");
        assertEquals(2L << 30, MemoryBudget.of(new String[] {"serve"}, Map.of("HYPERFILE_CONFIG", conf.toString())).totalBytes());
        assertEquals("serve", Hyperfile.subcommand(new String[] {"-v", "--config", "serve.conf", "--log-level", "debug", "serve"}));
        assertEquals("serve", Hyperfile.subcommand(new String[] {"--config=x", "serve", "disk0"}));
    }

    @Test
    void sharesOfTheBudget() {
        MemoryBudget b = new MemoryBudget(1L << 30, "test");
        assertEquals(384L << 20, b.heapBytes());
        assertEquals(512L << 20, b.directBytes());
        assertEquals(List.of("-Xmx384m", "-XX:MaxDirectMemorySize=512m", "-XX:+ExitOnOutOfMemoryError"), b.jvmFlags());
        assertEquals(64L << 20, b.dirtyLimitBytes(1));
        assertEquals(64L << 20, b.dirtyLimitBytes(2));
        assertEquals(32L << 20, b.dirtyLimitBytes(4), "a quarter of direct memory shared by four volumes");
        assertEquals(4L << 20, b.dirtyLimitBytes(1000), "never below 4 MiB");
    }

    @Test
    void tooSmallOrMalformedBudgetsAreRefusedInOneLine() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> MemoryBudget.of(new String[] {"serve", "--memory", "100M"}, Map.of()));
        assertTrue(small.getMessage().contains("at least 256 MiB"), small.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> MemoryBudget.of(new String[] {"serve"}, Map.of("HYPERFILE_MEMORY", "lots")));
        assertTrue(bad.getMessage().contains("'lots'") && bad.getMessage().contains("HYPERFILE_MEMORY"), bad.getMessage());

        StringWriter err = new StringWriter();
        int code = Hyperfile.run(new String[] {"serve", "--memory", "10M", "--store", "file:" + dir}, new PrintWriter(new StringWriter()),
                new PrintWriter(err, true));
        assertEquals(Hyperfile.EXIT_USAGE, code);
        assertTrue(err.toString().startsWith("hyperfile: invalid --memory '10 MiB'"), err.toString());
    }

    @Test
    void aJvmWhoseHeapTheOperatorChoseIsNotRelaunched() {
        assertNull(JvmRelaunch.reasonToStay(List.of("-Dfoo=1"), Map.of()), "plain java -jar: relaunch");
        assertTrue(JvmRelaunch.reasonToStay(List.of("-Xmx2g"), Map.of()).contains("-Xmx2g"));
        assertTrue(JvmRelaunch.reasonToStay(List.of("-XX:MaxRAMPercentage=60"), Map.of()).contains("MaxRAMPercentage"));
        assertTrue(JvmRelaunch.reasonToStay(List.of(), Map.of("JAVA_TOOL_OPTIONS", "-Dx=1 -Xmx1g")).contains("-Xmx1g"));
        assertTrue(JvmRelaunch.reasonToStay(List.of(), Map.of("HYPERFILE_NO_RELAUNCH", "1")).contains("HYPERFILE_NO_RELAUNCH"));
    }

    @Test
    void theRelaunchedCommandKeepsTheJarTheFlagsAndTheArguments() {
        MemoryBudget b = new MemoryBudget(1L << 30, "test");
        String[] args = {"serve", "--memory", "1G", "disk0"};
        List<String> jar = JvmRelaunch.command(b, "/jdk", List.of("-Dx=1", "-XX:MaxDirectMemorySize=2g"),
                "/opt/hyperfile.jar serve --memory 1G disk0", "/opt/hyperfile.jar", args);
        assertEquals(List.of("/jdk/bin/java", "-Dx=1", "-Xmx384m", "-XX:MaxDirectMemorySize=512m", "-XX:+ExitOnOutOfMemoryError",
                "-D" + JvmRelaunch.MARKER + "=1073741824", "-jar", "/opt/hyperfile.jar", "serve", "--memory", "1G", "disk0"), jar);
        List<String> classes = JvmRelaunch.command(b, "/jdk", List.of(), "io.hyperfile.cli.Hyperfile serve", "a.jar:b.jar",
                new String[] {"serve"});
        assertEquals(List.of("-cp", "a.jar:b.jar", "io.hyperfile.cli.Hyperfile", "serve"), classes.subList(classes.size() - 4,
                classes.size()));
    }
}
