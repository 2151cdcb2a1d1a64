package io.hyperfile.cli;

import java.time.Clock;
import java.time.Duration;

/**
 * The wall clock of the commands: the system's, moved by the system property {@value #OFFSET_PROPERTY} (a duration
 * as {@link Durations} reads it, with an optional leading '-') when it is set. The property exists for tests that
 * need a lease to look old without waiting for it to age (docs/SERVING.md); it is not an operator setting.
 */
final class CliClock {
    /** Moves the commands' clock: {@code -Dhyperfile.test.clock-offset=5m} makes every lease 5 minutes older. */
    static final String OFFSET_PROPERTY = "hyperfile.test.clock-offset";

    private CliClock() {
    }

    static Clock clock() {
        String offset = System.getProperty(OFFSET_PROPERTY);
        if (offset == null || offset.isBlank()) {
            return Clock.systemUTC();
        }
        String text = offset.trim();
        boolean negative = text.startsWith("-");
        Duration d = Durations.parse("-D" + OFFSET_PROPERTY, negative ? text.substring(1) : text);
        return Clock.offset(Clock.systemUTC(), negative ? d.negated() : d);
    }
}
