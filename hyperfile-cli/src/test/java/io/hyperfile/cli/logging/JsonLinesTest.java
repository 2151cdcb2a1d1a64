package io.hyperfile.cli.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** {@code --log-format json}: one parseable object per event, whatever the message holds. */
class JsonLinesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anEventIsOneLineWithTimeLevelLoggerThreadAndMessage() {
        String line = JsonLines.line(Instant.parse("2026-12-05T07:11:26.1234Z"), Level.WARN, "io.hyperfile.cli.ServeCommand",
                "hf-gc-1", "volume disk0: 3 segments", null);
        assertFalse(line.contains("\n"));
        JsonNode n = JSON.readTree(line);
        assertEquals(List.of("time", "level", "logger", "thread", "message"), List.copyOf(n.propertyNames()));
        assertEquals("2026-12-05T07:11:26.123Z", n.get("time").asString());
        assertEquals("WARN", n.get("level").asString());
        assertEquals("io.hyperfile.cli.ServeCommand", n.get("logger").asString());
        assertEquals("hf-gc-1", n.get("thread").asString());
        assertEquals("volume disk0: 3 segments", n.get("message").asString());
    }

    @Test
    void quotesBackslashesLineBreaksAndControlCharactersAreEscaped() {
        String message = "say \"hi\"\\ then\nnext\tline\r\u0001 é \u2028";
        String line = JsonLines.line(Instant.EPOCH, Level.INFO, "x", "main", message, null);
        assertFalse(line.contains("\n") || line.contains("\r"), line);
        assertEquals(message, JSON.readTree(line).get("message").asString());
        assertEquals("1970-01-01T00:00:00.000Z", JSON.readTree(line).get("time").asString());
    }

    @Test
    void anExceptionIsItsStackTraceCausesIncluded() {
        IOException e = new IOException("disk \"gone\"", new IllegalStateException("root cause"));
        String line = JsonLines.line(Instant.EPOCH, Level.ERROR, "x", "main", "failed", e);
        assertFalse(line.contains("\n"));
        String trace = JSON.readTree(line).get("exception").asString();
        assertTrue(trace.startsWith("java.io.IOException: disk \"gone\"\n\tat "), trace);
        assertTrue(trace.contains("Caused by: java.lang.IllegalStateException: root cause"), trace);
    }

    @Test
    void levelsFollowTheLongestConfiguredPrefixLikeSlf4jSimple() {
        String base = "hyperfile.test.levels";
        System.setProperty(LogLevels.PREFIX + base, "warn");
        System.setProperty(LogLevels.PREFIX + base + ".chatty", "trace");
        System.setProperty(LogLevels.PREFIX + base + ".quiet", "off");
        try {
            assertEquals(Level.WARN.toInt(), LogLevels.threshold(base + ".Other"));
            assertEquals(Level.TRACE.toInt(), LogLevels.threshold(base + ".chatty.Inner"));
            assertEquals(LogLevels.OFF, LogLevels.threshold(base + ".quiet"));
            JsonLogger quiet = new JsonLogger(base + ".quiet.X");
            assertFalse(quiet.isErrorEnabled());
            JsonLogger warn = new JsonLogger(base + ".X");
            assertTrue(warn.isWarnEnabled() && warn.isErrorEnabled());
            assertFalse(warn.isInfoEnabled());
        } finally {
            System.clearProperty(LogLevels.PREFIX + base);
            System.clearProperty(LogLevels.PREFIX + base + ".chatty");
            System.clearProperty(LogLevels.PREFIX + base + ".quiet");
        }
    }
}
