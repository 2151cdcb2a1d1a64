package io.hyperfile.core.store;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** A clock and a timer, injected so that retry timing can be tested in virtual time. */
public interface RetryScheduler {

    long nanoTime();

    /** Runs {@code task} once, no earlier than {@code delayNanos} from now. Must not run it on the caller's stack. */
    void schedule(Runnable task, long delayNanos);

    /** The real clock with one daemon timer thread ({@code hf-retry}); tasks must be short and non-blocking. */
    static RetryScheduler system() {
        return SystemScheduler.INSTANCE;
    }

    final class SystemScheduler implements RetryScheduler {
        static final SystemScheduler INSTANCE = new SystemScheduler();
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "hf-retry");
            t.setDaemon(true);
            return t;
        });

        private SystemScheduler() {
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void schedule(Runnable task, long delayNanos) {
            timer.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        }
    }
}
