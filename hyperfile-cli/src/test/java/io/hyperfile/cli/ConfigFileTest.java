package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The properties syntax of {@code --config}, with the line of every key. */
class ConfigFileTest {
    @TempDir
    Path dir;

    private static Map<String, String> values(ConfigFile f) {
        Map<String, String> m = new LinkedHashMap<>();
        f.entries().forEach(e -> m.put(e.key(), e.value()));
        return m;
    }

    @Test
    void separatorsCommentsContinuationsAndEscapesAreThoseOfPropertiesFiles() throws Exception {
        String text = String.join("\n",
                "# a comment",
                "! another comment",
                "",
                "   listen = 0.0.0.0:10809",
                "gc-interval: 10m",
                "cache-size 20G",
                "region=eu-west-1   ",
                "allow.disk0 = 10.0.0.0/8, \\",
                "              192.168.0.0/16",
                "key\\=with\\:separators\\ and\\ space = v",
                "escapes = tab\\there\\nnewline \\u00e9 \\\\ \\#",
                "empty =",
                "#continued comment \\",
                "after-comment = yes");
        ConfigFile f = ConfigFile.parse("f.conf", text);
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("listen", "0.0.0.0:10809");
        expected.put("gc-interval", "10m");
        expected.put("cache-size", "20G");
        expected.put("region", "eu-west-1");
        expected.put("allow.disk0", "10.0.0.0/8, 192.168.0.0/16");
        expected.put("key=with:separators and space", "v");
        expected.put("escapes", "tab\there\nnewline \u00e9 \\ #");
        expected.put("empty", "");
        expected.put("after-comment", "yes");
        assertEquals(expected, values(f));

        Properties p = new Properties();
        p.load(new java.io.StringReader(text));
        Map<String, String> viaProperties = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> viaProperties.put(k, p.getProperty(k).stripTrailing()));
        assertEquals(new java.util.TreeMap<>(viaProperties), new java.util.TreeMap<>(expected),
                "the reading of java.util.Properties, but for trailing blanks");
        assertEquals("kept ", ConfigFile.parse("f", "a = kept\\ \t \n").get("a").value(), "an escaped blank is kept");

        assertEquals(4, f.get("listen").line());
        assertEquals(8, f.get("allow.disk0").line(), "a continued entry is at its first line");
        assertEquals(10, f.get("key=with:separators and space").line());
        assertEquals(14, f.get("after-comment").line());
        assertNull(f.get("continued"));
    }

    @Test
    void windowsAndOldMacLineEndsCountLines() {
        ConfigFile f = ConfigFile.parse("f.conf", "a = 1\r\nb = 2\rc = 3\n");
        assertEquals(Map.of("a", "1", "b", "2", "c", "3"), values(f));
        assertEquals(3, f.get("c").line());
    }

    @Test
    void aKeyGivenTwiceIsAnErrorAtItsSecondLine() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigFile.parse("/etc/h.conf", "a = 1\n\nb = 2\na = 3\n"));
        assertEquals("/etc/h.conf:4: a: already set on line 1", e.getMessage());
    }

    @Test
    void aMalformedUnicodeEscapeIsAnErrorWithItsLine() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.parse("h.conf", "a = 1\nb = \\u12x4\n"));
        assertEquals("h.conf:2: malformed \\uXXXX escape '\\u12x4'", e.getMessage());
    }

    @Test
    void aMissingOrUnreadableFileIsOneLineNamingIt() throws Exception {
        Path missing = dir.resolve("nope.conf");
        assertEquals(missing + ": no such file",
                assertThrows(ConfigException.class, () -> ConfigFile.read(missing)).getMessage());
        Path latin1 = dir.resolve("latin1.conf");
        Files.write(latin1, new byte[] {'a', '=', (byte) 0xe9});
        assertEquals(latin1 + ": not UTF-8 text", assertThrows(ConfigException.class, () -> ConfigFile.read(latin1)).getMessage());
    }
}
