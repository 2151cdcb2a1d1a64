package io.hyperfile.cli;

import io.hyperfile.core.store.RetryScheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A {@link RetryScheduler} on a virtual clock that runs a task only when the test says so ({@link #runNext()}),
 * for tests in which tasks are scheduled from store and volume threads. Thread-safe (unlike core's
 * {@code VirtualScheduler}, which expects every call on the test thread); tasks run on the thread calling
 * {@link #runNext()}, outside the lock.
 */
final class ManualScheduler implements RetryScheduler {
    private record Task(long due, long seq, Runnable run) {
    }

    private final PriorityQueue<Task> queue = new PriorityQueue<>((a, b) -> a.due != b.due
            ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
    private final List<Long> delays = new ArrayList<>();
    private long now;
    private long seq;

    @Override
    public synchronized long nanoTime() {
        return now;
    }

    @Override
    public synchronized void schedule(Runnable task, long delayNanos) {
        delays.add(delayNanos);
        queue.add(new Task(now + delayNanos, seq++, task));
    }

    /** Advances the clock to the earliest task and runs it; false if none is scheduled. */
    boolean runNext() {
        Task t;
        synchronized (this) {
            t = queue.poll();
            if (t == null) {
                return false;
            }
            now = Math.max(now, t.due);
        }
        t.run.run();
        return true;
    }

    synchronized int pending() {
        return queue.size();
    }

    /** Every delay asked for so far, in order. */
    synchronized List<Long> delays() {
        return new ArrayList<>(delays);
    }
}
