package io.hyperfile.cli.logging;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.slf4j.event.Level;

/**
 * One log event as one line of JSON: {@code {"time":"2026-12-05T07:11:26.123Z","level":"INFO","logger":"...",
 * "thread":"main","message":"..."}}, plus {@code "exception"} (the stack trace as text) when there is one. The
 * time is UTC with milliseconds; strings are escaped so that the line never breaks. Stateless.
 */
public final class JsonLines {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private JsonLines() {
    }

    /** The line (without a line break) for one event; {@code thrown} may be null. */
    public static String line(Instant time, Level level, String logger, String thread, String message, Throwable thrown) {
        StringBuilder b = new StringBuilder(128);
        b.append("{\"time\":\"").append(TIME.format(time)).append('"');
        field(b, "level", level.toString());
        field(b, "logger", logger);
        field(b, "thread", thread);
        field(b, "message", message == null ? "" : message);
        if (thrown != null) {
            StringWriter trace = new StringWriter();
            thrown.printStackTrace(new PrintWriter(trace));
            field(b, "exception", trace.toString().stripTrailing());
        }
        return b.append('}').toString();
    }

    private static void field(StringBuilder b, String name, String value) {
        b.append(",\"").append(name).append("\":");
        quote(b, value);
    }

    /** {@code value} as a JSON string, quotes included. */
    public static String quote(String value) {
        StringBuilder b = new StringBuilder(value.length() + 2);
        quote(b, value);
        return b.toString();
    }

    private static void quote(StringBuilder b, String value) {
        b.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
