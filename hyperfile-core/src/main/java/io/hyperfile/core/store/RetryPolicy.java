package io.hyperfile.core.store;

import java.time.Duration;

/**
 * How {@link RetryingObjectStore} retries transient and throttling failures, and how long it lets one attempt run.
 *
 * <p>Backoff: exponential from {@code initialBackoff} doubling up to {@code maxBackoff}, each delay drawn uniformly
 * from [delay/2, delay] ("equal jitter"), until {@code deadline} after the first attempt. A retry that would start
 * after the deadline is not made, so an operation gives up at most one attempt timeout after its deadline.
 *
 * <p>Attempt timeout: an attempt that has not completed {@code attemptTimeout + bytes / minThroughputBytesPerSecond}
 * after it started (bytes: the request's payload, see {@link #attemptTimeoutNanos}) counts as a TRANSIENT failure
 * and is retried like one. The base covers latency and server time; the throughput term lets large transfers run
 * on slow links. It is a backstop against requests that would otherwise never complete, not a performance limit:
 * keep it well above the slowest transfer that should still succeed.
 *
 * <table>
 *   <caption>Fields, defaults ({@link #DEFAULT}) and units; none changes while a store is open</caption>
 *   <tr><th>field</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code initialBackoff}</td><td>50 ms</td><td>delay before the first retry</td></tr>
 *   <tr><td>{@code maxBackoff}</td><td>5 s</td><td>longest delay between attempts</td></tr>
 *   <tr><td>{@code deadline}</td><td>60 s</td><td>no retry starts later than this after the first attempt</td></tr>
 *   <tr><td>{@code attemptTimeout}</td><td>10 s</td><td>base time one attempt may take</td></tr>
 *   <tr><td>{@code minThroughputBytesPerSecond}</td><td>1048576 (1 MiB/s)</td><td>slowest transfer rate an
 *       attempt is allowed: each byte of payload adds {@code 1 / minThroughputBytesPerSecond} seconds</td></tr>
 * </table>
 */
public record RetryPolicy(Duration initialBackoff, Duration maxBackoff, Duration deadline, Duration attemptTimeout,
        long minThroughputBytesPerSecond) {

    public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(10);
    public static final long DEFAULT_MIN_THROUGHPUT_BYTES_PER_SECOND = 1 << 20;

    /** 50 ms doubling to 5 s, giving up after 60 s; attempts time out after 10 s plus 1 s per MiB. */
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
        if (attemptTimeout.isNegative() || attemptTimeout.isZero()) {
            throw new IllegalArgumentException("attemptTimeout must be positive. attemptTimeout=" + attemptTimeout);
        }
        if (minThroughputBytesPerSecond < 1) {
            throw new IllegalArgumentException("minThroughputBytesPerSecond must be positive. minThroughputBytesPerSecond="
                    + minThroughputBytesPerSecond);
        }
    }

    /** The given backoff and deadline with the default attempt timeout ({@value #DEFAULT_MIN_THROUGHPUT_BYTES_PER_SECOND} B/s). */
    public RetryPolicy(Duration initialBackoff, Duration maxBackoff, Duration deadline) {
        this(initialBackoff, maxBackoff, deadline, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_MIN_THROUGHPUT_BYTES_PER_SECOND);
    }

    /** This policy with another attempt timeout. */
    public RetryPolicy withAttemptTimeout(Duration attemptTimeout, long minThroughputBytesPerSecond) {
        return new RetryPolicy(initialBackoff, maxBackoff, deadline, attemptTimeout, minThroughputBytesPerSecond);
    }

    /** This policy with another deadline. */
    public RetryPolicy withDeadline(Duration deadline) {
        return new RetryPolicy(initialBackoff, maxBackoff, deadline, attemptTimeout, minThroughputBytesPerSecond);
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

    /**
     * How long one attempt moving {@code requestBytes} of payload (sent or received) may take:
     * {@code attemptTimeout + requestBytes / minThroughputBytesPerSecond}, saturating at {@link Long#MAX_VALUE}.
     */
    public long attemptTimeoutNanos(long requestBytes) {
        if (requestBytes < 0) {
            throw new IllegalArgumentException("requestBytes must be non-negative. requestBytes=" + requestBytes);
        }
        long base = attemptTimeout.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : attemptTimeout.toNanos();
        // whole seconds plus the remainder, so that large sizes neither overflow nor lose precision
        long seconds = requestBytes / minThroughputBytesPerSecond;
        long rest = requestBytes % minThroughputBytesPerSecond;
        long transfer = seconds > Long.MAX_VALUE / 1_000_000_000L ? Long.MAX_VALUE
                : seconds * 1_000_000_000L + (long) (rest * 1e9 / minThroughputBytesPerSecond);
        return base > Long.MAX_VALUE - transfer ? Long.MAX_VALUE : base + transfer;
    }
}
