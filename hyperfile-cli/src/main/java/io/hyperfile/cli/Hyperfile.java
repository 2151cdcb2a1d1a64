package io.hyperfile.cli;

import io.hyperfile.core.store.Exceptions;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code hyperfile} command. Errors print one line (a stack trace only with {@code --verbose}). */
@Command(name = "hyperfile", mixinStandardHelpOptions = true, versionProvider = Hyperfile.Version.class,
        description = "A crash-safe virtual disk on object storage, served over NBD.",
        subcommands = {ServeCommand.class, VolumeCommand.class, SnapshotCommand.class, FsckCommand.class, GcCommand.class,
                ImportCommand.class, ExportCommand.class, picocli.AutoComplete.GenerateCompletion.class,
                CommandLine.HelpCommand.class})
public final class Hyperfile {
    /** Exit code for a failure at run time (store unreachable, volume missing, ...). */
    static final int EXIT_FAILURE = 1;
    /** Exit code for a bad command line (picocli's default). */
    static final int EXIT_USAGE = 2;

    @Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Log more, and show stack traces of errors.")
    static boolean verbose;

    public static void main(String[] args) {
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

    /** The first argument that is not an option (the subcommand's name), or null. */
    static String subcommand(String[] args) {
        for (String a : args) {
            if (!a.startsWith("-")) {
                return a;
            }
        }
        return null;
    }

    /** Runs the command line and returns its exit code (used by main and by the tests). */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        configureLogging(args);
        CommandLine cli = new CommandLine(new Hyperfile());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            Throwable cause = Exceptions.unwrap(e);
            if (cause instanceof IllegalArgumentException && !verbose) {
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

    private static void configureLogging(String[] args) {
        boolean v = false;
        for (String a : args) {
            v |= a.equals("-v") || a.equals("--verbose");
        }
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", v ? "debug" : "info");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        System.setProperty("org.slf4j.simpleLogger.log.io.netty", v ? "debug" : "warn");
        System.setProperty("org.slf4j.simpleLogger.log.software.amazon", v ? "debug" : "warn");
        System.setProperty("org.slf4j.simpleLogger.log.net.openhft", v ? "debug" : "warn");
        System.setProperty("chronicle.analytics.disable", "true");
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
