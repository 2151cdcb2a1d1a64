package io.hyperfile.core.gc;

import java.time.Duration;
import java.util.Objects;

/**
 * Garbage collection settings (docs/GC.md, "Scheduling and limits").
 *
 * <table>
 * <caption>Settings</caption>
 * <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@code gc.grace}</td><td>1 h</td><td>a segment is deleted only if a checkpoint stored at least this long
 *   ago no longer reaches it, so readers that opened an older checkpoint (an {@code export}, a read-only open)
 *   keep their objects this long</td></tr>
 * <tr><td>{@code gc.compact-below}</td><td>0.5</td><td>segments whose live bytes are below this fraction of their
 *   size are compacted (0: never compact, only delete)</td></tr>
 * <tr><td>{@code gc.min-garbage-ratio}</td><td>0.2</td><td>a pass compacts only while garbage is at least this
 *   fraction of the stored bytes (deleting unreferenced segments needs no threshold)</td></tr>
 * <tr><td>{@code gc.max-relocate-bytes}</td><td>1 GiB</td><td>live bytes one pass moves at most (a pass also stops
 *   choosing victims once it expects garbage to fall below half of {@code gc.min-garbage-ratio})</td></tr>
 * <tr><td>{@code gc.rate-bytes-per-second}</td><td>32 MiB</td><td>how fast a pass reads what it moves (0: no
 *   limit)</td></tr>
 * <tr><td>{@code gc.rate-requests-per-second}</td><td>500</td><td>store requests a pass makes per second at most
 *   (index node reads of its walk, reads of what it moves, delete batches; 0: no limit)</td></tr>
 * <tr><td>{@code gc.interval}</td><td>5 min</td><td>time between passes in {@code serve}</td></tr>
 * <tr><td>{@code gc.check-every}</td><td>1 d</td><td>passes plan from the live table; one pass this long after the
 *   last walk walks the index instead and checks the table against it (0: every pass walks)</td></tr>
 * </table>
 */
public record GcConfig(Duration grace, double compactBelow, double minGarbageRatio, long maxRelocateBytes,
        long rateBytesPerSecond, Duration interval, int rateRequestsPerSecond, Duration checkEvery) {
    public static final GcConfig DEFAULT = new GcConfig(Duration.ofHours(1), 0.5, 0.2, 1L << 30, 32L << 20,
            Duration.ofMinutes(5), 500, Duration.ofDays(1));

    public GcConfig {
        Objects.requireNonNull(grace, "grace");
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(checkEvery, "checkEvery");
        if (checkEvery.isNegative()) {
            throw new IllegalArgumentException("gc check-every must not be negative: " + checkEvery);
        }
        if (grace.isNegative()) {
            throw new IllegalArgumentException("gc grace must not be negative: " + grace);
        }
        if (!(compactBelow >= 0 && compactBelow <= 1)) {
            throw new IllegalArgumentException("gc compact-below must be between 0 and 1: " + compactBelow);
        }
        if (!(minGarbageRatio >= 0 && minGarbageRatio <= 1)) {
            throw new IllegalArgumentException("gc min-garbage-ratio must be between 0 and 1: " + minGarbageRatio);
        }
        if (maxRelocateBytes < 0 || rateBytesPerSecond < 0 || rateRequestsPerSecond < 0) {
            throw new IllegalArgumentException("gc limits must not be negative");
        }
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("gc interval must be positive: " + interval);
        }
    }

    public GcConfig withGrace(Duration v) {
        return new GcConfig(v, compactBelow, minGarbageRatio, maxRelocateBytes, rateBytesPerSecond,
                interval, rateRequestsPerSecond, checkEvery);
    }

    public GcConfig withCompactBelow(double v) {
        return new GcConfig(grace, v, minGarbageRatio, maxRelocateBytes, rateBytesPerSecond,
                interval, rateRequestsPerSecond, checkEvery);
    }

    public GcConfig withMinGarbageRatio(double v) {
        return new GcConfig(grace, compactBelow, v, maxRelocateBytes, rateBytesPerSecond,
                interval, rateRequestsPerSecond, checkEvery);
    }

    public GcConfig withMaxRelocateBytes(long v) {
        return new GcConfig(grace, compactBelow, minGarbageRatio, v, rateBytesPerSecond,
                interval, rateRequestsPerSecond, checkEvery);
    }

    public GcConfig withRateBytesPerSecond(long v) {
        return new GcConfig(grace, compactBelow, minGarbageRatio, maxRelocateBytes, v,
                interval, rateRequestsPerSecond, checkEvery);
    }

    public GcConfig withInterval(Duration v) {
        return new GcConfig(grace, compactBelow, minGarbageRatio, maxRelocateBytes, rateBytesPerSecond, v,
                rateRequestsPerSecond, checkEvery);
    }

    public GcConfig withRateRequestsPerSecond(int v) {
        return new GcConfig(grace, compactBelow, minGarbageRatio, maxRelocateBytes, rateBytesPerSecond, interval, v, checkEvery);
    }

    public GcConfig withCheckEvery(Duration v) {
        return new GcConfig(grace, compactBelow, minGarbageRatio, maxRelocateBytes, rateBytesPerSecond, interval,
                rateRequestsPerSecond, v);
    }
}
