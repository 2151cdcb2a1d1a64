package io.hyperfile.cli;

import java.nio.file.Path;
import java.util.Map;

/**
 * The options needed before picocli parses the command line, because loggers are created as the commands are:
 * {@code --config}, {@code --log-level}, {@code --log-format}, {@code -v}/{@code --verbose}, and {@code --memory}
 * (which sizes the JVM before anything runs, see {@link MemoryBudget}), found by a plain scan
 * of the arguments (up to {@code --}), in both the {@code --name value} and {@code --name=value} forms. Values are
 * kept as text: picocli checks them properly afterwards. Immutable.
 *
 * @param config the configuration file ({@code --config}, else {@code $HYPERFILE_CONFIG}), or null
 * @param logLevel the {@code --log-level} text, or null
 * @param logFormat the {@code --log-format} text, or null
 * @param verbose {@code -v} or {@code --verbose} was given
 * @param memory the {@code --memory} text, or null
 */
record EarlyOptions(Path config, String logLevel, String logFormat, boolean verbose, String memory) {
    static final String CONFIG_VARIABLE = "HYPERFILE_CONFIG";

    static EarlyOptions scan(String[] args, Map<String, String> env) {
        String config = null;
        String level = null;
        String format = null;
        boolean verbose = false;
        String memory = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                break;
            }
            verbose |= a.equals("-v") || a.equals("--verbose");
            String next = i + 1 < args.length ? args[i + 1] : null;
            config = valueOf("--config", a, next, config);
            level = valueOf("--log-level", a, next, level);
            format = valueOf("--log-format", a, next, format);
            memory = valueOf("--memory", a, next, memory);
        }
        if (config == null && env.get(CONFIG_VARIABLE) != null && !env.get(CONFIG_VARIABLE).isBlank()) {
            config = env.get(CONFIG_VARIABLE);
        }
        return new EarlyOptions(config == null ? null : Path.of(config), level, format, verbose, memory);
    }

    private static String valueOf(String option, String arg, String next, String previous) {
        if (arg.equals(option)) {
            return next != null ? next : previous;
        }
        if (arg.startsWith(option + "=")) {
            return arg.substring(option.length() + 1);
        }
        return previous;
    }
}
