package io.hyperfile.core.store;

import java.time.Duration;

/**
 * How {@link RetryingObjectStore} retries transient and throttling failures: exponential backoff from
 * {@code initialBackoff} doubling up to {@code maxBackoff}, each delay drawn uniformly from [delay/2, delay]
 * ("equal jitter"), until {@code deadline} after the first attempt. A retry that would start after the deadline
 * is not made.
 */
public record RetryPolicy(Duration initialBackoff, Duration maxBackoff, Duration deadline) {

    /** 50 ms doubling to 5 s, giving up after 60 s. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(Duration.ofMillis(50), Duration.ofSeconds(5), Duration.ofSeconds(60));

    public RetryPolicy {
        if (initialBackoff.isNegative() || initialBackoff.isZero()) {
            throw new IllegalArgumentException("initialBackoff must be positive. initialBackoff=" + initialBackoff);
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff must be at least initialBackoff. maxBackoff=" + maxBackoff);
        }
        if (deadline.isNegative()) {
            throw new IllegalArgumentException("deadline must be non-negative. deadline=" + deadline);
        }
    }

    /** The un-jittered delay before retry number {@code retry} (1-based). */
    public long backoffNanos(int retry) {
        long d = initialBackoff.toNanos();
        long max = maxBackoff.toNanos();
        for (int i = 1; i < retry && d < max; i++) {
            d = d * 2;
        }
        return Math.min(d, max);
    }
}
