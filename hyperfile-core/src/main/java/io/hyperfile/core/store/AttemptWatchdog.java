package io.hyperfile.core.store;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Times out store attempts without a timer per request. A timer per attempt cost a scheduler insertion, a
 * cancellation and often a wake-up of the timer thread for every 4 KiB read; here an attempt only joins a concurrent
 * set, and one sweep task, armed for the earliest deadline while the set is not empty, fails the attempts whose
 * deadline has passed. At a steady request rate the sweep runs about once per attempt timeout. Thread-safe.
 */
final class AttemptWatchdog {
    /** An attempt being watched: {@code onTimeout} runs (on the scheduler) once its deadline has passed. */
    private static final class Watch implements RetryScheduler.Cancellable {
        final long deadlineNanos;
        final Runnable onTimeout;
        final Set<Watch> set;

        Watch(long deadlineNanos, Runnable onTimeout, Set<Watch> set) {
            this.deadlineNanos = deadlineNanos;
            this.onTimeout = onTimeout;
            this.set = set;
        }

        @Override
        public void cancel() {
            set.remove(this);
        }
    }

    private final RetryScheduler scheduler;
    private final Set<Watch> watched = ConcurrentHashMap.newKeySet();
    /** The time the armed sweep runs at; Long.MAX_VALUE when none is armed. Guarded by this. */
    private long sweepAtNanos = Long.MAX_VALUE;

    AttemptWatchdog(RetryScheduler scheduler) {
        this.scheduler = scheduler;
    }

    /** Runs {@code onTimeout} once {@code timeoutNanos} have passed, unless cancelled first. */
    RetryScheduler.Cancellable watch(long timeoutNanos, Runnable onTimeout) {
        long deadline = scheduler.nanoTime() + timeoutNanos;
        Watch w = new Watch(deadline, onTimeout, watched);
        watched.add(w);
        arm(deadline);
        return w;
    }

    private void arm(long deadline) {
        long delay;
        synchronized (this) {
            if (sweepAtNanos <= deadline) {
                return; // a sweep at or before this deadline will see it (and arm the next one)
            }
            sweepAtNanos = deadline;
            delay = Math.max(0, deadline - scheduler.nanoTime());
        }
        scheduler.schedule(() -> sweep(deadline), delay);
    }

    private void sweep(long armedFor) {
        synchronized (this) {
            if (sweepAtNanos != armedFor) {
                return; // superseded by an earlier sweep, which armed its own successor
            }
            sweepAtNanos = Long.MAX_VALUE;
        }
        long now = scheduler.nanoTime();
        long next = Long.MAX_VALUE;
        for (Watch w : watched) {
            if (w.deadlineNanos <= now) {
                if (watched.remove(w)) {
                    w.onTimeout.run();
                }
            } else {
                next = Math.min(next, w.deadlineNanos);
            }
        }
        if (next != Long.MAX_VALUE) {
            arm(next);
        }
    }
}
