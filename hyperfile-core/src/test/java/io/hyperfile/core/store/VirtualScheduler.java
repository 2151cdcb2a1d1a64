package io.hyperfile.core.store;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A {@link RetryScheduler} on a virtual clock: scheduled tasks run only from {@link #runUntilIdle()}, in time
 * order, each advancing the clock to its due time. Lets retry tests cover minutes of backoff in microseconds,
 * deterministically. Cancelled tasks leave the queue at once. Scheduling and cancelling are thread-safe (a store
 * may complete, and so cancel a timeout, on its own thread); tasks run on the thread that calls
 * {@link #runUntilIdle()}.
 */
public final class VirtualScheduler implements RetryScheduler {
    private static final class Task {
        final long due;
        final long delay;
        final long seq;
        final Runnable run;
        boolean cancelled;

        Task(long due, long delay, long seq, Runnable run) {
            this.due = due;
            this.delay = delay;
            this.seq = seq;
            this.run = run;
        }
    }

    private final PriorityQueue<Task> queue = new PriorityQueue<>((a, b) -> a.due != b.due
            ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
    private final List<Task> scheduled = new ArrayList<>();
    private long now = 1_000_000_000L;
    private long seq;

    @Override
    public synchronized long nanoTime() {
        return now;
    }

    @Override
    public void schedule(Runnable task, long delayNanos) {
        add(task, delayNanos);
    }

    @Override
    public Cancellable scheduleCancellable(Runnable task, long delayNanos) {
        Task t = add(task, delayNanos);
        return () -> {
            synchronized (this) {
                t.cancelled = true;
                queue.remove(t);
            }
        };
    }

    private synchronized Task add(Runnable task, long delayNanos) {
        Task t = new Task(now + delayNanos, delayNanos, seq++, task);
        scheduled.add(t);
        queue.add(t);
        return t;
    }

    /** Runs due tasks, advancing the clock, until none is left. */
    public void runUntilIdle() {
        Task t;
        while ((t = next()) != null) {
            t.run.run();
        }
    }

    private synchronized Task next() {
        Task t = queue.poll();
        if (t != null) {
            now = Math.max(now, t.due);
        }
        return t;
    }

    public synchronized int pending() {
        return queue.size();
    }

    /** The delays of every task scheduled so far and not cancelled, in order. */
    public synchronized List<Long> delays() {
        return scheduled.stream().filter(t -> !t.cancelled).map(t -> t.delay).toList();
    }
}
