package io.hyperfile.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * Serving changes without a restart ({@link ExportRescan}, docs/SERVING.md): {@code --rescan-interval}. SIGHUP
 * rescans at once whatever the interval.
 */
final class RescanOptions {
    /** The default interval between rescans of the store. */
    static final String DEFAULT_INTERVAL = "30s";

    @Option(names = "--rescan-interval", paramLabel = "DURATION", defaultValue = DEFAULT_INTERVAL,
            description = "Rescan the store this often for volumes and snapshots created or deleted while serving, e.g."
                    + " 10s, 1m; 0: only on SIGHUP (default ${DEFAULT-VALUE}).")
    String interval;

    /** The interval (zero: off); {@link IllegalArgumentException} with one line for a bad value. */
    Duration interval() {
        return Durations.parse("--rescan-interval", interval);
    }
}
