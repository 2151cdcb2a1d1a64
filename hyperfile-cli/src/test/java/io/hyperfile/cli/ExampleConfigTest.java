package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code deploy/hyperfile.conf.example} documents every key of {@code serve} and every setting, and nothing else:
 * an option added to {@code serve} without a line there fails here, and so does a line for a key that is gone.
 * Each documented value (a default or an example) must pass the same check a real file gets.
 */
class ExampleConfigTest {
    /** A documented key: {@code #key = value} (prose comments start with {@code "# "}). */
    private static final Pattern KEY_LINE = Pattern.compile("^#([a-z][a-z0-9-]*(?:\\.[a-zA-Z0-9-]+)*) = (.*)$");

    private static Path example() {
        Path p = Path.of("..", "deploy", "hyperfile.conf.example");
        return Files.exists(p) ? p : Path.of("deploy", "hyperfile.conf.example");
    }

    @Test
    void everyKeyOfServeAndEverySettingIsDocumentedWithAValidValue() throws Exception {
        List<String> lines = Files.readAllLines(example());
        StringBuilder uncommented = new StringBuilder();
        List<String> documented = new ArrayList<>();
        for (String line : lines) {
            Matcher m = KEY_LINE.matcher(line);
            if (m.matches()) {
                documented.add(m.group(1));
                uncommented.append(m.group(1)).append(" = ").append(m.group(2)).append('\n');
            } else {
                uncommented.append('\n'); // keep line numbers
            }
        }
        CommandLine root = new CommandLine(new Hyperfile());
        ConfigKeys keys = ConfigKeys.of(root);
        ConfigFile file = ConfigFile.parse(example().toString(), uncommented.toString());
        keys.validate(file); // every documented value passes; throws with the line otherwise

        Set<String> expected = new TreeSet<>();
        for (OptionSpec o : root.getSubcommands().get("serve").getCommandSpec().options()) {
            String key = ConfigKeys.keyOf(o);
            if (key != null && !Set.of(ConfigKeys.HELP, ConfigKeys.VERSION, ConfigKeys.CONFIG).contains(key)) {
                expected.add(OptionValues.isMap(o) ? key + ".KEY" : key);
            }
        }
        keys.settings().forEach(s -> expected.add(s.key()));

        Set<String> actual = new TreeSet<>();
        for (String key : documented) {
            int dot = key.lastIndexOf('.');
            OptionSpec map = dot > 0 ? keys.option(key.substring(0, dot)) : null;
            actual.add(map != null && OptionValues.isMap(map) ? key.substring(0, dot) + ".KEY" : key);
        }
        Set<String> undocumented = new TreeSet<>(expected);
        undocumented.removeAll(actual);
        Set<String> unknown = new TreeSet<>(actual);
        unknown.removeAll(expected);
        assertTrue(undocumented.isEmpty(), "keys missing from " + example() + ": " + undocumented);
        assertTrue(unknown.isEmpty(), "keys in " + example() + " that serve does not have: " + unknown);
        assertEquals(documented.size(), new TreeSet<>(documented).size(), "a key documented twice: " + documented);
    }

    @Test
    void theExampleAsShippedIsAValidFileWithNothingSet() throws Exception {
        ConfigFile file = ConfigFile.read(example());
        ConfigKeys.of(new CommandLine(new Hyperfile())).validate(file);
        assertTrue(!file.entries().iterator().hasNext(), "every line of the example is commented out");
    }
}
