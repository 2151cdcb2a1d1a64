package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * {@code --log-format json} in the shaded jar: the server's standard error is JSON lines from the first event to the
 * last (the SLF4J provider is chosen before anything logs), and {@code log-level}/{@code log-format} in the
 * configuration file work, with the command line over them.
 */
class LogFormatIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /**
     * Serves a new embedded default store (in a new directory under {@code dir}, so that volume disk0 is created and
     * that is logged before the server says it serves) until SIGTERM, then returns stderr as parsed JSON lines.
     */
    private List<JsonNode> serveAndStop(String... args) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        Path log;
        Path work = Files.createTempDirectory(dir, "run");
        try (ServerProcess server = ServerProcess.start(work, Map.of(), args)) {
            // serve handles SIGTERM from before it starts serving: a graceful stop, exit 0.
            int exit = server.terminate(120);
            assertTrue(exit == 0, "exit " + exit + "; log:\n" + server.logTail());
            log = server.log();
        }
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            JsonNode event;
            try {
                event = JSON.readTree(line);
            } catch (RuntimeException e) {
                throw new AssertionError("not a JSON line in " + log + ": " + line, e);
            }
            for (String field : List.of("time", "level", "logger", "thread", "message")) {
                assertTrue(event.hasNonNull(field), "no " + field + " in " + line);
            }
            assertTrue(event.get("time").asString().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), line);
            events.add(event);
        }
        return events;
    }

    private static boolean has(List<JsonNode> events, String level, String message) {
        return events.stream().anyMatch(e -> e.get("level").asString().equals(level)
                && e.get("message").asString().startsWith(message));
    }

    @Test
    void everyLineOfTheLogIsAJsonObject() throws Exception {
        List<JsonNode> events = serveAndStop("--log-format", "json");
        assertTrue(has(events, "INFO", "created volume disk0"), events.toString());
        assertTrue(has(events, "INFO", "NBD server listening"), events.toString());
    }

    @Test
    void theFileSetsFormatAndLevelAndTheCommandLineWins() throws Exception {
        Path conf = dir.resolve("hyperfile.conf");
        Files.writeString(conf, "log-format = json\nlog-level = warn\n");
        List<JsonNode> quiet = serveAndStop("--config", conf.toString());
        assertFalse(quiet.stream().anyMatch(e -> e.get("level").asString().equals("INFO")), quiet.toString());

        List<JsonNode> info = serveAndStop("--config", conf.toString(), "--log-level", "info");
        assertTrue(has(info, "INFO", "created volume disk0"), info.toString());
    }
}
