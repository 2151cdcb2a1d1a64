package io.hyperfile.core.store;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock and a timer, injected so that retry and timeout timing can be tested in virtual time. Implementations
 * are thread-safe.
 */
public interface RetryScheduler {

    long nanoTime();

    /** Runs {@code task} once, no earlier than {@code delayNanos} from now. Must not run it on the caller's stack. */
    void schedule(Runnable task, long delayNanos);

    /**
     * Like {@link #schedule}, but the returned handle cancels the task if it has not started. Timeouts use it: most
     * of them are cancelled, and a cancelled task must not keep what it refers to alive. This default drops the
     * task at once on cancel and leaves only a small no-op in the timer; implementations may remove it outright.
     */
    default Cancellable scheduleCancellable(Runnable task, long delayNanos) {
        AtomicReference<Runnable> pending = new AtomicReference<>(task);
        schedule(() -> {
            Runnable r = pending.getAndSet(null);
            if (r != null) {
                r.run();
            }
        }, delayNanos);
        return () -> pending.set(null);
    }

    /** A scheduled task that may be cancelled. */
    @FunctionalInterface
    interface Cancellable {
        /** Makes sure the task does not run if it has not started yet; idempotent. */
        void cancel();
    }

    /** The real clock with one daemon timer thread ({@code hf-retry}); tasks must be short and non-blocking. */
    static RetryScheduler system() {
        return SystemScheduler.INSTANCE;
    }

    final class SystemScheduler implements RetryScheduler {
        static final SystemScheduler INSTANCE = new SystemScheduler();
        private final ScheduledThreadPoolExecutor timer;

        private SystemScheduler() {
            timer = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "hf-retry");
                t.setDaemon(true);
                return t;
            });
            // Cancelled timeouts leave the queue at once instead of waiting out their delay.
            timer.setRemoveOnCancelPolicy(true);
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void schedule(Runnable task, long delayNanos) {
            timer.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public Cancellable scheduleCancellable(Runnable task, long delayNanos) {
            ScheduledFuture<?> f = timer.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        }
    }
}
