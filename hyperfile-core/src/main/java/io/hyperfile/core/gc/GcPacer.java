package io.hyperfile.core.gc;

import io.hyperfile.core.store.RetryScheduler;
import java.util.concurrent.CompletableFuture;

/**
 * Keeps what garbage collection passes read to move within {@link GcConfig#rateBytesPerSecond} and their store
 * requests (walk or table reads, moves, deletes) within {@link GcConfig#rateRequestsPerSecond}. Thread-safe.
 */
final class GcPacer {
    private final GcConfig config;
    private final RetryScheduler scheduler;
    private long nextFreeNanos = Long.MIN_VALUE;
    private long nextRequestNanos = Long.MIN_VALUE;

    GcPacer(GcConfig config, RetryScheduler scheduler) {
        this.config = config;
        this.scheduler = scheduler;
    }

    RetryScheduler scheduler() {
        return scheduler;
    }

    /** Completes after {@code nanos}. */
    CompletableFuture<Void> after(long nanos) {
        CompletableFuture<Void> wait = new CompletableFuture<>();
        scheduler.schedule(() -> wait.complete(null), nanos);
        return wait;
    }

    /** Completes when {@code bytes} more bytes and {@code requests} more requests fit the limits. */
    synchronized CompletableFuture<Void> pace(long bytes, int requests) {
        long now = scheduler.nanoTime();
        long start = now;
        if (config.rateBytesPerSecond() > 0 && bytes > 0) {
            start = Math.max(start, nextFreeNanos);
            nextFreeNanos = Math.max(now, nextFreeNanos) + (long) (bytes * 1e9 / config.rateBytesPerSecond());
        }
        if (config.rateRequestsPerSecond() > 0 && requests > 0) {
            start = Math.max(start, nextRequestNanos);
            nextRequestNanos = Math.max(now, nextRequestNanos) + (long) (requests * 1e9 / config.rateRequestsPerSecond());
        }
        if (start <= now) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> wait = new CompletableFuture<>();
        scheduler.schedule(() -> wait.complete(null), start - now);
        return wait;
    }
}
