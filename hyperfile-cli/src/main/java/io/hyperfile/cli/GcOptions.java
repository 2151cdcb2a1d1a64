package io.hyperfile.cli;

import io.hyperfile.core.gc.GcConfig;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * Background garbage collection in {@code serve} ({@link GcService}): {@code --gc on|off}, {@code --gc-interval},
 * {@code --gc-grace}, {@code --gc-rate}, {@code --gc-requests}, {@code --gc-compact-below} and {@code --gc-check-every}. The
 * other settings keep the defaults of
 * {@link GcConfig#DEFAULT} (compaction only while garbage is at least 20% of the stored bytes, at most 1 GiB moved
 * per pass).
 */
final class GcOptions {
    @Option(names = "--gc", paramLabel = "on|off", defaultValue = "on",
            description = "Collect garbage of the served volumes in the background (default ${DEFAULT-VALUE}).")
    String gc;

    @Option(names = "--gc-interval", paramLabel = "DURATION", defaultValue = "5m",
            description = "Time from the end of one gc pass of a volume to its next, e.g. 30s, 5m, 1h (default ${DEFAULT-VALUE}).")
    String interval;

    @Option(names = "--gc-grace", paramLabel = "DURATION", defaultValue = "1h",
            description = "Delete only what a checkpoint stored at least this long ago no longer references"
                    + " (default ${DEFAULT-VALUE}).")
    String grace;

    @Option(names = "--gc-rate", paramLabel = "SIZE", defaultValue = "32M",
            description = "Bytes per second a gc pass reads to move live data; 0: no limit (default ${DEFAULT-VALUE}/s).")
    String rate;

    @Option(names = "--gc-requests", paramLabel = "N", defaultValue = "500",
            description = "Store requests per second a gc pass makes at most (walk, moves, deletes); 0: no limit"
                    + " (default ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--gc-compact-below", paramLabel = "FRACTION", defaultValue = "0.5",
            description = "Compact segments whose live bytes are below this fraction of their size; 0: only delete"
                    + " (default ${DEFAULT-VALUE}).")
    double compactBelow;

    @Option(names = "--gc-check-every", paramLabel = "DURATION", defaultValue = "1d",
            description = "Passes plan from the live table; one pass this long after the last walk walks the index and"
                    + " checks the table; 0: every pass walks (default ${DEFAULT-VALUE}).")
    String checkEvery;

    /** The settings, or null for {@code --gc off}; {@link IllegalArgumentException} with one line for a bad value. */
    GcConfig config() {
        boolean on = switch (gc.trim().toLowerCase(Locale.ROOT)) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException("invalid --gc '" + gc + "': use on or off");
        };
        GcConfig config = GcConfig.DEFAULT.withGrace(Durations.parse("--gc-grace", grace))
                .withRateBytesPerSecond(Sizes.parseRate("--gc-rate", rate))
                .withRateRequestsPerSecond(GcCommand.requestRate("--gc-requests", requests))
                .withCompactBelow(GcCommand.fraction("--gc-compact-below", compactBelow))
                .withCheckEvery(Durations.parse("--gc-check-every", checkEvery));
        Duration every = Durations.parse("--gc-interval", interval);
        if (every.isZero()) {
            throw new IllegalArgumentException("invalid --gc-interval '" + interval + "': must be positive (use --gc off to"
                    + " turn garbage collection off)");
        }
        return on ? config.withInterval(every) : null;
    }
}
