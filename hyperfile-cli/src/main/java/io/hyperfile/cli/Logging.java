package io.hyperfile.cli;

import io.hyperfile.cli.logging.JsonLogProvider;
import java.util.List;
import java.util.Locale;

/**
 * How the command logs, set up before anything logs: the level ({@code --log-level}, else {@code debug} with
 * {@code --verbose}, else {@code info}) and the format ({@code --log-format text}, slf4j-simple's lines, or
 * {@code json}, {@link JsonLogProvider}'s). Logs go to standard error. The libraries' own loggers
 * ({@value #LIBRARIES_TEXT}) log warnings and errors only, or errors only at level {@code error}, or everything at
 * debug with {@code --verbose} alone, as before these options existed. Stateless.
 */
final class Logging {
    /** The levels of {@code --log-level}. */
    enum Level {
        ERROR, WARN, INFO, DEBUG, TRACE;

        String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The formats of {@code --log-format}. */
    enum Format {
        TEXT, JSON
    }

    static final String LIBRARIES_TEXT = "io.netty, software.amazon, net.openhft";
    private static final List<String> LIBRARIES = List.of("io.netty", "software.amazon", "net.openhft");
    private static final String SIMPLE = "org.slf4j.simpleLogger.";

    private Logging() {
    }

    /** Sets the system properties the logging providers read; {@code level} null: the default. */
    static void configure(Level level, Format format, boolean verbose) {
        Level own = level != null ? level : verbose ? Level.DEBUG : Level.INFO;
        String libraries = own == Level.ERROR ? "error" : verbose && level == null ? "debug" : "warn";
        System.setProperty(SIMPLE + "logFile", "System.err");
        System.setProperty(SIMPLE + "defaultLogLevel", own.text());
        System.setProperty(SIMPLE + "showDateTime", "true");
        System.setProperty(SIMPLE + "dateTimeFormat", "HH:mm:ss.SSS");
        for (String library : LIBRARIES) {
            System.setProperty(SIMPLE + "log." + library, libraries);
        }
        if (format == Format.JSON) {
            System.setProperty("slf4j.provider", JsonLogProvider.class.getName());
            // SLF4J says which provider it loads, on stderr, unless told to keep its notes to warnings.
            System.setProperty("slf4j.internal.verbosity", "WARN");
        }
        System.setProperty("chronicle.analytics.disable", "true");
    }

    /** {@code text} as a level, or null if it is not one (picocli or the file check then reports it). */
    static Level level(String text) {
        return parse(Level.class, text);
    }

    /** {@code text} as a format, or null if it is not one. */
    static Format format(String text) {
        return parse(Format.class, text);
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String text) {
        if (text == null) {
            return null;
        }
        try {
            return Enum.valueOf(type, text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
