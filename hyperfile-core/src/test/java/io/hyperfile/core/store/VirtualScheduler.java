package io.hyperfile.core.store;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A {@link RetryScheduler} on a virtual clock: scheduled tasks run only from {@link #runUntilIdle()}, in time
 * order, each advancing the clock to its due time. Lets retry tests cover minutes of backoff in microseconds,
 * deterministically. Not thread-safe: use it with stores that complete on the calling thread.
 */
public final class VirtualScheduler implements RetryScheduler {
    private record Task(long due, long seq, Runnable run) {
    }

    private final PriorityQueue<Task> queue = new PriorityQueue<>((a, b) -> a.due != b.due
            ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
    private final List<Long> delays = new ArrayList<>();
    private long now = 1_000_000_000L;
    private long seq;

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public void schedule(Runnable task, long delayNanos) {
        delays.add(delayNanos);
        queue.add(new Task(now + delayNanos, seq++, task));
    }

    /** Runs due tasks, advancing the clock, until none is left. */
    public void runUntilIdle() {
        Task t;
        while ((t = queue.poll()) != null) {
            now = Math.max(now, t.due);
            t.run.run();
        }
    }

    public int pending() {
        return queue.size();
    }

    /** Every delay asked for so far, in order. */
    public List<Long> delays() {
        return delays;
    }
}
