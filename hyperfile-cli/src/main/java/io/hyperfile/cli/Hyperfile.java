package io.hyperfile.cli;

import io.hyperfile.core.store.Exceptions;
import io.hyperfile.nbd.server.LeakDetection;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code hyperfile} command. Errors print one line (a stack trace only with {@code --verbose}). Every command
 * takes {@code --config FILE} (settings, see {@link ConfigKeys} and {@link ConfigApplier}) and the logging options
 * ({@link Logging}).
 */
@Command(name = "hyperfile", mixinStandardHelpOptions = true, versionProvider = Hyperfile.Version.class,
        description = "A crash-safe virtual disk on object storage, served over NBD.",
        subcommands = {ServeCommand.class, VolumeCommand.class, SnapshotCommand.class, FsckCommand.class, GcCommand.class,
                ImportCommand.class, ExportCommand.class, DiffCommand.class, ExportDiffCommand.class,
                ImportDiffCommand.class, picocli.AutoComplete.GenerateCompletion.class,
                CommandLine.HelpCommand.class})
public final class Hyperfile {
    /** Exit code for a failure at run time (store unreachable, volume missing, ...). */
    static final int EXIT_FAILURE = 1;
    /** Exit code for a bad command line (picocli's default). */
    static final int EXIT_USAGE = 2;

    @Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Log more, and show stack traces of errors.")
    static boolean verbose;

    @Option(names = "--config", paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "Settings file (key = value, keys named like the long options; see docs/CONFIG.md)."
                    + " Default: $HYPERFILE_CONFIG. The command line overrides it.")
    Path config;

    @Option(names = "--log-level", paramLabel = "LEVEL", scope = CommandLine.ScopeType.INHERIT,
            description = "Least severe level to log: error, warn, info, debug or trace (default: info; debug with --verbose).")
    Logging.Level logLevel;

    @Option(names = "--log-format", paramLabel = "FORMAT", scope = CommandLine.ScopeType.INHERIT,
            description = "Log as text (default) or json: one object per line with time, level, logger, thread, message"
                    + " and exception.")
    Logging.Format logFormat;

    public static void main(String[] args) {
        LeakDetection.applyDefault(System.getProperties()); // before any Netty buffer exists
        if ("serve".equals(subcommand(args))) {
            try {
                JvmRelaunch.enforce(MemoryBudget.of(args, System.getenv()), args);
            } catch (IllegalArgumentException e) {
                System.err.println("hyperfile: " + e.getMessage());
                System.exit(EXIT_USAGE);
            }
        }
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** The first argument that is neither an option nor an option's value (the subcommand's name), or null. */
    static String subcommand(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--config") || a.equals("--log-level") || a.equals("--log-format")) {
                i++;
            } else if (!a.startsWith("-")) {
                return a;
            }
        }
        return null;
    }

    /** Runs the command line and returns its exit code (used by main and by the tests). */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        return run(args, out, err, System.getenv());
    }

    /**
     * Runs the command line with {@code env} as the environment (of which it reads {@code HYPERFILE_CONFIG} and the
     * variables of {@link ConfigApplier#ENVIRONMENT}) and returns its exit code. A configuration file that cannot be
     * used is one line naming the file and line, and exit code 2, before anything runs.
     */
    static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
        EarlyOptions early = EarlyOptions.scan(args, env);
        ConfigFile file;
        try {
            file = early.config() == null ? ConfigFile.NONE : ConfigFile.read(early.config());
        } catch (ConfigException e) {
            err.println("hyperfile: " + e.getMessage());
            return EXIT_USAGE;
        }
        configureLogging(early, file);
        CommandLine cli = new CommandLine(new Hyperfile());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setOut(out);
        cli.setErr(err);
        try {
            ConfigKeys.of(cli).validate(file);
        } catch (ConfigException e) {
            err.println("hyperfile: " + e.getMessage());
            return EXIT_USAGE;
        }
        ConfigApplier applier = new ConfigApplier(file, env);
        cli.setExecutionStrategy(parseResult -> {
            try {
                applier.apply(parseResult);
            } catch (ConfigException e) {
                err.println("hyperfile: " + e.getMessage());
                return EXIT_USAGE;
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            Throwable cause = Exceptions.unwrap(e);
            if (cause instanceof IllegalArgumentException && !verbose) {
                String source = sourceOfBadOption(cause.getMessage(), applier);
                if (source != null) {
                    err.println("hyperfile: " + source + ": " + cause.getMessage());
                    return EXIT_USAGE;
                }
                err.println("hyperfile: " + cause.getMessage());
                commandLine.usage(err);
                return EXIT_USAGE;
            }
            err.println("hyperfile: " + describe(cause));
            if (verbose) {
                cause.printStackTrace(err);
            }
            return EXIT_FAILURE;
        });
        return cli.execute(args);
    }

    static String describe(Throwable t) {
        String message = t.getMessage();
        return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
    }

    /**
     * For a message {@code invalid --NAME ...} about an option whose value came from the configuration file or the
     * environment, where it came from ({@code FILE:LINE}); else null.
     */
    private static String sourceOfBadOption(String message, ConfigApplier applier) {
        if (message == null || !message.startsWith("invalid --")) {
            return null;
        }
        int end = message.indexOf(' ', "invalid --".length());
        return end < 0 ? null : applier.sourceOf(message.substring("invalid --".length(), end));
    }

    /** Logging from the command line, else the file ({@code log-level}, {@code log-format}, {@code verbose}). */
    private static void configureLogging(EarlyOptions early, ConfigFile file) {
        Logging.Level level = Logging.level(early.logLevel() != null ? early.logLevel() : valueOf(file, "log-level"));
        Logging.Format format = Logging.format(early.logFormat() != null ? early.logFormat() : valueOf(file, "log-format"));
        boolean v = early.verbose() || "true".equalsIgnoreCase(String.valueOf(valueOf(file, "verbose")).trim());
        Logging.configure(level, format, v);
    }

    private static String valueOf(ConfigFile file, String key) {
        ConfigFile.Entry e = file.get(key);
        return e == null ? null : e.value();
    }

    /** The version from the jar manifest, or "development" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Hyperfile.class.getPackage().getImplementationVersion();
            return new String[] {"hyperfile " + (v == null ? "development" : v)};
        }
    }
}
