package io.hyperfile.cli;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every key a configuration file may hold, found in the command tree, and the check of a file against them.
 * Immutable after {@link #of}.
 *
 * <p>The keys are generic: every long option of every command is a key, its name without the leading dashes
 * ({@code --gc-interval} is {@code gc-interval}; {@code --allow}, a map option, is {@code allow.KEY}), except
 * {@value #HELP}, {@value #VERSION}, {@value #CONFIG}, {@value #FORCE} and {@value #ALLOW_SHRINK}. A new option needs nothing more to be settable in the
 * file. Keys that are not options ({@code s3.*}, {@code volume.*}, {@code cache.*}) are {@link Setting}s declared by
 * the {@link Configurable} commands and mixins. One file serves every command: a key that is an option of some
 * command is valid everywhere, and sets the option of that name on whichever command runs, if it has one.
 */
final class ConfigKeys {
    static final String HELP = "help";
    static final String VERSION = "version";
    static final String CONFIG = "config";
    /** Overrides a command's safety checks (a lease, say): given on the command line each time, never in a file. */
    static final String FORCE = "force";
    /** Lets {@code volume resize} discard data: like {@link #FORCE}, given on the command line each time. */
    static final String ALLOW_SHRINK = "allow-shrink";
    private static final Set<String> NOT_IN_FILE = Set.of(HELP, VERSION, CONFIG, FORCE, ALLOW_SHRINK);

    private final Map<String, OptionSpec> options;
    private final Map<String, Setting> settings;
    private final List<Configurable> configurables;

    private ConfigKeys(Map<String, OptionSpec> options, Map<String, Setting> settings, List<Configurable> configurables) {
        this.options = options;
        this.settings = settings;
        this.configurables = configurables;
    }

    /** The keys of {@code root} and all its subcommands. */
    static ConfigKeys of(CommandLine root) {
        Map<String, OptionSpec> options = new LinkedHashMap<>();
        Map<String, Setting> settings = new LinkedHashMap<>();
        Map<Class<?>, Configurable> configurables = new LinkedHashMap<>();
        collect(root, options, settings, configurables);
        return new ConfigKeys(options, settings, new ArrayList<>(configurables.values()));
    }

    /** The key of {@code option}: its longest name without the dashes, or null if it has no long name. */
    static String keyOf(OptionSpec option) {
        String name = option.longestName();
        return name.startsWith("--") ? name.substring(2) : null;
    }

    /** Every command and mixin object of {@code spec} (the command's own first) that is {@link Configurable}. */
    static List<Configurable> configurablesOf(CommandSpec spec) {
        List<Configurable> found = new ArrayList<>();
        collectConfigurables(spec, found, new IdentityHashMap<>());
        return found;
    }

    /** The option of {@code key} somewhere in the tree, or null. */
    OptionSpec option(String key) {
        return options.get(key);
    }

    /** Every key: options (a map option as {@code name.KEY}) and settings, sorted. */
    Set<String> keys() {
        Set<String> keys = new TreeSet<>();
        options.forEach((key, option) -> keys.add(OptionValues.isMap(option) ? key + ".KEY" : key));
        keys.addAll(settings.keySet());
        return keys;
    }

    /** The settings (keys that are not options), in declaration order. */
    List<Setting> settings() {
        return List.copyOf(settings.values());
    }

    /**
     * Checks every key and value of {@code file}: the first problem is a {@link ConfigException} whose message
     * names the file, the line and the key.
     */
    void validate(ConfigFile file) {
        for (Configurable c : configurables) {
            c.check(file);
        }
        for (ConfigFile.Entry e : file.entries()) {
            try {
                validate(e);
            } catch (IllegalArgumentException ex) {
                throw new ConfigException(file.at(e, e.key() + ": " + ex.getMessage()));
            } catch (UnknownKey ex) {
                throw new ConfigException(file.at(e, ex.getMessage()));
            }
        }
    }

    private void validate(ConfigFile.Entry e) {
        String key = e.key();
        if (key.equals(CONFIG)) {
            throw new IllegalArgumentException("a configuration file cannot name another; give --config on the command line");
        }
        OptionSpec option = options.get(key);
        if (option != null) {
            OptionValues.check(option, null, e.value());
            return;
        }
        Setting setting = settings.get(key);
        if (setting != null) {
            setting.validate(e.value());
            return;
        }
        int dot = key.lastIndexOf('.');
        OptionSpec map = dot > 0 ? options.get(key.substring(0, dot)) : null;
        if (map != null && OptionValues.isMap(map) && dot < key.length() - 1) {
            OptionValues.check(map, key.substring(dot + 1), e.value());
            return;
        }
        String near = nearest(key);
        throw new UnknownKey("unknown key '" + key + "'" + (near == null ? "" : " (did you mean '" + near + "'?)"));
    }

    private String nearest(String key) {
        String best = null;
        int bestDistance = 3;
        for (String k : keys()) {
            int d = distance(key, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int same = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + same);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static void collect(CommandLine cl, Map<String, OptionSpec> options, Map<String, Setting> settings,
            Map<Class<?>, Configurable> configurables) {
        for (OptionSpec o : cl.getCommandSpec().options()) {
            String key = keyOf(o);
            if (key != null && !NOT_IN_FILE.contains(key)) {
                options.putIfAbsent(key, o);
            }
        }
        for (Configurable c : configurablesOf(cl.getCommandSpec())) {
            if (configurables.putIfAbsent(c.getClass(), c) == null) {
                for (Setting s : c.settings()) {
                    settings.putIfAbsent(s.key(), s);
                }
            }
        }
        Set<CommandLine> seen = new LinkedHashSet<>(cl.getSubcommands().values()); // aliases map to the same one
        for (CommandLine sub : seen) {
            collect(sub, options, settings, configurables);
        }
    }

    private static void collectConfigurables(CommandSpec spec, List<Configurable> found, Map<Object, Boolean> seen) {
        Object user = spec.userObject();
        if (user instanceof Configurable c && seen.put(c, Boolean.TRUE) == null) {
            found.add(c);
        }
        for (CommandSpec mixin : spec.mixins().values()) {
            collectConfigurables(mixin, found, seen);
        }
    }

    /** An unknown key: reported without the "key: " prefix of a bad value. */
    private static final class UnknownKey extends RuntimeException {
        UnknownKey(String message) {
            super(message);
        }
    }
}
