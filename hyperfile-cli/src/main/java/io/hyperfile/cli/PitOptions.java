package io.hyperfile.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * Point-in-time exports of {@code serve} ({@link PointInTimeExports}, docs/POINT-IN-TIME.md): how many may be open at
 * once and how long one stays open without a connection.
 */
final class PitOptions {
    @Option(names = "--pit-max-open", paramLabel = "N", defaultValue = "8",
            description = "Most point-in-time exports (VOLUME@seq:N, VOLUME@time:T) open at once; 0: none are served"
                    + " (default ${DEFAULT-VALUE}).")
    int maxOpen;

    @Option(names = "--pit-idle", paramLabel = "DURATION", defaultValue = "1m",
            description = "Close a point-in-time export after it had no connection for this long (default ${DEFAULT-VALUE}).")
    String idle;

    /** The settings; {@link IllegalArgumentException} with one line for a bad value. */
    PointInTimeExports.Settings settings() {
        if (maxOpen < 0) {
            throw new IllegalArgumentException("invalid --pit-max-open '" + maxOpen + "': must be 0 or more");
        }
        Duration d = Durations.parse("--pit-idle", idle);
        if (d.isZero()) {
            throw new IllegalArgumentException("invalid --pit-idle '" + idle + "': must be positive");
        }
        return new PointInTimeExports.Settings(maxOpen, d);
    }
}
