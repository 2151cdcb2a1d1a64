package io.hyperfile.cli.logging;

import java.util.Locale;
import org.slf4j.event.Level;

/**
 * The level of a logger, read from the system properties slf4j-simple reads, so that text and JSON logging are
 * configured alike: {@code org.slf4j.simpleLogger.log.NAME} for a logger and its descendants (the longest dotted
 * prefix of the logger's name that has one wins), else {@code org.slf4j.simpleLogger.defaultLogLevel}, else
 * {@code info}. A value is {@code trace}, {@code debug}, {@code info}, {@code warn}, {@code error} or {@code off}.
 * Stateless.
 */
final class LogLevels {
    static final String PREFIX = "org.slf4j.simpleLogger.log.";
    static final String DEFAULT = "org.slf4j.simpleLogger.defaultLogLevel";
    /** Above {@link Level#ERROR}: nothing is logged. */
    static final int OFF = Level.ERROR.toInt() + 10;

    private LogLevels() {
    }

    /** The least severe level {@code loggerName} logs, as {@link Level#toInt()}; {@link #OFF} for none. */
    static int threshold(String loggerName) {
        String name = loggerName;
        while (true) {
            String v = System.getProperty(PREFIX + name);
            if (v != null) {
                return parse(v);
            }
            int dot = name.lastIndexOf('.');
            if (dot < 0) {
                return parse(System.getProperty(DEFAULT, "info"));
            }
            name = name.substring(0, dot);
        }
    }

    private static int parse(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "trace" -> Level.TRACE.toInt();
            case "debug" -> Level.DEBUG.toInt();
            case "warn" -> Level.WARN.toInt();
            case "error" -> Level.ERROR.toInt();
            case "off" -> OFF;
            default -> Level.INFO.toInt();
        };
    }
}
