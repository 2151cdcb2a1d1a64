package io.hyperfile.cli;

import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.RetryScheduler;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an asynchronous attempt (opening a volume, say) until it succeeds or fails permanently. After a failure that
 * {@code isTransient} accepts, the next attempt is scheduled on the injected {@link RetryScheduler} after the
 * policy's backoff; after any other failure it stops. An attempt that has not settled within the policy's attempt
 * timeout counts as a transient failure ({@link TimeoutException}); a value it delivers later goes to
 * {@code discard} (a volume opened too late is closed, not leaked). One attempt runs at a time; {@link #cancel()}
 * stops further attempts.
 *
 * <p>Thread-safe: attempts settle on any thread, timers fire on the scheduler's, {@link #cancel()} may come from
 * any. The listener is called on the thread that settled the attempt (the caller's for an attempt that fails at
 * once), never twice at the same time, and must not block.
 */
final class BackgroundRetry<T> {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundRetry.class);

    /** What became of the attempts. */
    interface Listener<T> {
        /**
         * An attempt succeeded, after {@code failures} transient failures (also after {@link #cancel()}: the listener
         * decides what to do with the value). The first attempt is settled once the returned future completes.
         */
        CompletableFuture<Void> succeeded(T value, int failures);

        /** An attempt failed transiently, the {@code failures}-th time in a row; the next starts after the delay. */
        void willRetry(Throwable failure, int failures, long delayNanos);

        /** An attempt failed permanently (or transiently after {@link #cancel()}); there will be no other. */
        void failed(Throwable failure);
    }

    private final Supplier<CompletableFuture<T>> attempt;
    private final Predicate<Throwable> isTransient;
    private final OpenRetryPolicy policy;
    private final RetryScheduler scheduler;
    private final Consumer<T> discard;
    private final Listener<T> listener;
    private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();
    /** Transient failures in a row; guarded by this. */
    private int failures;
    /** Guarded by this. */
    private boolean cancelled;

    private BackgroundRetry(Supplier<CompletableFuture<T>> attempt, Predicate<Throwable> isTransient, OpenRetryPolicy policy,
            RetryScheduler scheduler, Consumer<T> discard, Listener<T> listener) {
        this.attempt = attempt;
        this.isTransient = isTransient;
        this.policy = policy;
        this.scheduler = scheduler;
        this.discard = discard;
        this.listener = listener;
    }

    /** Starts the first attempt on the calling thread. */
    static <T> BackgroundRetry<T> start(Supplier<CompletableFuture<T>> attempt, Predicate<Throwable> isTransient,
            OpenRetryPolicy policy, RetryScheduler scheduler, Consumer<T> discard, Listener<T> listener) {
        BackgroundRetry<T> r = new BackgroundRetry<>(attempt, isTransient, policy, scheduler, discard, listener);
        r.attemptNow();
        return r;
    }

    /**
     * Completes once the first attempt has settled and the listener has been told: with the future
     * {@link Listener#succeeded} returned for a success, at once for a failure. Never completes exceptionally.
     */
    CompletableFuture<Void> firstAttempt() {
        return firstAttempt;
    }

    /** Starts no further attempt; an attempt in flight still reports to the listener. */
    synchronized void cancel() {
        cancelled = true;
    }

    synchronized boolean isCancelled() {
        return cancelled;
    }

    private void attemptNow() {
        if (isCancelled()) {
            firstAttempt.complete(null);
            return;
        }
        AtomicBoolean settled = new AtomicBoolean();
        CompletableFuture<T> running;
        try {
            running = attempt.get();
        } catch (RuntimeException e) {
            running = CompletableFuture.failedFuture(e);
        }
        long timeoutNanos = policy.attemptTimeout().toNanos();
        if (timeoutNanos > 0 && !running.isDone()) {
            scheduler.schedule(() -> {
                if (settled.compareAndSet(false, true)) {
                    onFailure(new TimeoutException("no answer within " + policy.attemptTimeout().toSeconds() + " s"));
                }
            }, timeoutNanos);
        }
        running.whenComplete((value, error) -> {
            if (!settled.compareAndSet(false, true)) {
                if (value != null) {
                    discard.accept(value); // this attempt timed out and was given up
                }
                return;
            }
            if (error == null) {
                onSuccess(value);
            } else {
                onFailure(Exceptions.unwrap(error));
            }
        });
    }

    private void onSuccess(T value) {
        int failed;
        synchronized (this) {
            failed = failures;
            failures = 0;
        }
        CompletableFuture<Void> after;
        try {
            after = listener.succeeded(value, failed);
        } catch (RuntimeException e) {
            LOG.error("listener failed on success", e);
            after = CompletableFuture.completedFuture(null);
        }
        after.whenComplete((v, e) -> firstAttempt.complete(null));
    }

    private void onFailure(Throwable failure) {
        boolean retry = isTransient.test(failure);
        int n;
        synchronized (this) {
            retry &= !cancelled;
            n = retry ? ++failures : failures;
        }
        long delay = policy.backoffNanos(Math.max(1, n));
        try {
            if (retry) {
                listener.willRetry(failure, n, delay);
            } else {
                listener.failed(failure);
            }
        } catch (RuntimeException e) {
            LOG.error("listener failed on failure", e);
        }
        if (retry) {
            scheduler.schedule(this::attemptNow, delay);
        }
        firstAttempt.complete(null);
    }
}
