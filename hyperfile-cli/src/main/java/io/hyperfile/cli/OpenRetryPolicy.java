package io.hyperfile.cli;

import java.time.Duration;

/**
 * How {@code serve} retries opening a volume whose open failed transiently: the first retry after
 * {@code initialBackoff}, each later one after twice the previous delay, at most {@code maxBackoff}, for as long as
 * the server runs. An attempt still unsettled after {@code attemptTimeout} counts as a transient failure. Delays
 * are not jittered: the attempts of different volumes are already spread by when their opens failed. Immutable.
 *
 * @param initialBackoff delay before the first retry; positive
 * @param maxBackoff longest delay between attempts; at least {@code initialBackoff}
 * @param attemptTimeout longest one open attempt may take; zero for no limit
 */
record OpenRetryPolicy(Duration initialBackoff, Duration maxBackoff, Duration attemptTimeout) {
    /** 1 s doubling to 1 min; an attempt may take 5 min (a store retries each request for up to a minute itself). */
    static final OpenRetryPolicy DEFAULT = new OpenRetryPolicy(Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofMinutes(5));

    OpenRetryPolicy {
        if (initialBackoff.isNegative() || initialBackoff.isZero()) {
            throw new IllegalArgumentException("initialBackoff must be positive. initialBackoff=" + initialBackoff);
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff must be at least initialBackoff. maxBackoff=" + maxBackoff);
        }
        if (attemptTimeout.isNegative()) {
            throw new IllegalArgumentException("attemptTimeout must be non-negative. attemptTimeout=" + attemptTimeout);
        }
    }

    /** The delay after the {@code failures}-th consecutive transient failure (1-based). */
    long backoffNanos(int failures) {
        long delay = initialBackoff.toNanos();
        long max = maxBackoff.toNanos();
        for (int i = 1; i < failures && delay < max; i++) {
            delay = delay > max / 2 ? max : delay * 2;
        }
        return Math.min(delay, max);
    }
}
