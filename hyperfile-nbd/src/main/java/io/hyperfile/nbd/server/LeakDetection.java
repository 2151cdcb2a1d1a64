package io.hyperfile.nbd.server;

import java.util.Properties;

/**
 * How often Netty's buffer leak detector samples in a production server: one buffer in {@value #SAMPLING_INTERVAL}
 * instead of Netty's one in 128. Each sampled buffer records the stack of its allocation (a {@code Throwable}), and
 * with three or so buffers per request that took 3.3–4.5 % of the event loop's CPU on 4 KiB random writes at QD32
 * (docs/PERFORMANCE.md, "Leak detector sampling"). One in 1,024 keeps the detector on at an eighth of that cost: a
 * buffer leaked on every request of a busy server is still reported within seconds, one leaked on a path taken once a
 * second within about twenty minutes. Tests run the detector at {@code PARANOID}, which tracks every buffer whatever
 * the interval.
 *
 * <p>Netty reads the interval once, when its leak detector class loads, so {@link #applyDefault} must run before the
 * process allocates its first Netty buffer (the CLI calls it first thing in {@code main}). A
 * {@code -Dio.netty.leakDetection.samplingInterval=N} given to the JVM wins, as does
 * {@code -Dio.netty.leakDetection.level=disabled|paranoid}, which Netty applies on its own.
 */
public final class LeakDetection {
    /** Netty's system property for the sampling interval. */
    public static final String SAMPLING_INTERVAL_PROPERTY = "io.netty.leakDetection.samplingInterval";
    /** One sampled buffer in this many. */
    public static final int SAMPLING_INTERVAL = 1024;

    private LeakDetection() {
    }

    /** Sets the sampling interval in {@code properties} unless one is set there already; returns the one in effect. */
    public static String applyDefault(Properties properties) {
        Object given = properties.putIfAbsent(SAMPLING_INTERVAL_PROPERTY, Integer.toString(SAMPLING_INTERVAL));
        return given == null ? Integer.toString(SAMPLING_INTERVAL) : given.toString();
    }
}
