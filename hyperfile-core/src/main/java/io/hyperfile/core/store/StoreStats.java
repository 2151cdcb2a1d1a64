package io.hyperfile.core.store;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the requests a {@link MeteredObjectStore} passed to its backend: requests and failures per
 * {@link StoreOp}, failures by {@link FailureCategory} (a failure that is not a {@link StorageException} counts as
 * "other"), and an optional {@link LatencyObserver} told each request's duration. Counting costs one
 * {@link LongAdder} increment: no lock, no allocation.
 *
 * <p>Thread-safe. Counters only grow; read them at any time.
 */
public final class StoreStats {
    /** Told the duration of every request the store completed; called on the completing thread, must not block. */
    @FunctionalInterface
    public interface LatencyObserver {
        void observe(StoreOp op, long nanos, boolean failed);
    }

    private static final FailureCategory[] CATEGORIES = FailureCategory.values();
    private static final LatencyObserver NONE = (op, nanos, failed) -> { };

    private final LongAdder[] requests = adders(StoreOp.values().length);
    /** [op][category ordinal], the last column for failures that carry no category. */
    private final LongAdder[][] errors = new LongAdder[StoreOp.values().length][];
    private volatile LatencyObserver latency = NONE;

    public StoreStats() {
        for (int i = 0; i < errors.length; i++) {
            errors[i] = adders(CATEGORIES.length + 1);
        }
    }

    /** Sets who is told each request's duration (replacing the previous one). */
    public void observeLatency(LatencyObserver observer) {
        latency = observer == null ? NONE : observer;
    }

    /** Requests of {@code op} sent to the backend so far (each attempt of a retried request counts). */
    public long requests(StoreOp op) {
        return requests[op.ordinal()].sum();
    }

    /** Failed requests of {@code op} in {@code category}; null: failures that are not {@link StorageException}s. */
    public long errors(StoreOp op, FailureCategory category) {
        return errors[op.ordinal()][category == null ? CATEGORIES.length : category.ordinal()].sum();
    }

    void started(StoreOp op) {
        requests[op.ordinal()].increment();
    }

    void completed(StoreOp op, long nanos, Throwable failure) {
        if (failure != null) {
            Throwable cause = Exceptions.unwrap(failure);
            int column = cause instanceof StorageException s && s.category() != null ? s.category().ordinal() : CATEGORIES.length;
            errors[op.ordinal()][column].increment();
        }
        latency.observe(op, nanos, failure != null);
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }
}
