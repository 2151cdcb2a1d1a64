package io.hyperfile.core.volume;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * The FLUSHes (and FUA writes) waiting for a segment seq to become durable. Each completes once its seq is
 * durable, fails with the pipeline's failure when a step fails, and fails with EIO ({@link
 * VolumeUnavailableException}) once it has waited {@code flush.deadline}: a client always gets an answer in time,
 * while the data stays buffered and its upload goes on. One timer is armed at a time, for the earliest deadline.
 *
 * <p>Not thread-safe: used under the volume's lock; completions are deferred through the {@link VolumeMonitor}.
 */
final class FlushWaiters {
    /** Runs a task under the lock at a scheduler time. */
    interface Timer {
        void at(long dueNanos, Runnable task);
    }

    private static final class Waiter {
        final CompletableFuture<Void> future;
        final long deadlineNanos;
        boolean done;

        Waiter(CompletableFuture<Void> future, long deadlineNanos) {
            this.future = future;
            this.deadlineNanos = deadlineNanos;
        }
    }

    private final String name;
    private final VolumeMonitor monitor;
    private final LongSupplier nanoTime;
    private final Timer timer;
    private final Duration deadline;
    private final TreeMap<Long, List<Waiter>> bySeq = new TreeMap<>();
    private final ArrayDeque<Waiter> byDeadline = new ArrayDeque<>();
    private boolean timerArmed;
    private volatile FlushObserver observer = FlushObserver.NONE;
    /** The newest failure of the pipeline, named when a flush runs out of time; null once a segment lands. */
    private Throwable lastFailure;

    FlushWaiters(String name, VolumeMonitor monitor, LongSupplier nanoTime, Timer timer, Duration deadline) {
        this.name = name;
        this.monitor = monitor;
        this.nanoTime = nanoTime;
        this.timer = timer;
        this.deadline = deadline;
    }

    /** From now on {@code observer} is told how long each flush that succeeds took. */
    void observe(FlushObserver observer) {
        this.observer = observer == null ? FlushObserver.NONE : observer;
    }

    /** {@code future} completes once {@code seq} is durable, or fails by the deadline. */
    void add(long seq, CompletableFuture<Void> future) {
        Waiter w = new Waiter(future, nanoTime.getAsLong() + deadline.toNanos());
        bySeq.computeIfAbsent(seq, k -> new ArrayList<>()).add(w);
        byDeadline.add(w);
        armTimer();
    }

    /** Segment {@code durableSeq} (and every one before it) is durable. */
    void completeUpTo(long durableSeq) {
        lastFailure = null;
        FlushObserver o = observer;
        long now = o == FlushObserver.NONE || bySeq.isEmpty() ? 0 : nanoTime.getAsLong();
        while (!bySeq.isEmpty() && bySeq.firstKey() <= durableSeq) {
            for (Waiter w : bySeq.pollFirstEntry().getValue()) {
                w.done = true;
                monitor.complete(w.future, null);
                if (o != FlushObserver.NONE) {
                    o.flushed(now - (w.deadlineNanos - deadline.toNanos()));
                }
            }
        }
    }

    /** A step failed: every waiter gets {@code cause}; {@code failure} is remembered for later deadline messages. */
    void failAll(Throwable cause, Throwable failure) {
        lastFailure = failure;
        for (List<Waiter> list : bySeq.values()) {
            for (Waiter w : list) {
                w.done = true;
                monitor.fail(w.future, cause);
            }
        }
        bySeq.clear();
        byDeadline.clear();
    }

    private void armTimer() {
        while (!byDeadline.isEmpty() && byDeadline.peekFirst().done) {
            byDeadline.pollFirst();
        }
        if (timerArmed || byDeadline.isEmpty()) {
            return;
        }
        timerArmed = true;
        timer.at(byDeadline.peekFirst().deadlineNanos, () -> {
            timerArmed = false;
            expire();
            armTimer();
        });
    }

    /** Fails the flushes whose deadline has passed; their data stays buffered and keeps being retried. */
    private void expire() {
        long now = nanoTime.getAsLong();
        for (Iterator<Map.Entry<Long, List<Waiter>>> it = bySeq.entrySet().iterator(); it.hasNext(); ) {
            List<Waiter> list = it.next().getValue();
            list.removeIf(w -> {
                if (w.deadlineNanos > now) {
                    return false;
                }
                w.done = true;
                monitor.fail(w.future, new VolumeUnavailableException("volume " + name + ": flush not durable within "
                        + deadline.toMillis() + " ms (" + (lastFailure == null ? "the store is slow"
                        : "last failure: " + lastFailure) + "); the data stays buffered and its upload goes on", lastFailure));
                return true;
            });
            if (list.isEmpty()) {
                it.remove();
            }
        }
    }
}
