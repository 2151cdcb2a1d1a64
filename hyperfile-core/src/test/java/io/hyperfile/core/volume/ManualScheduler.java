package io.hyperfile.core.volume;

import io.hyperfile.core.store.RetryScheduler;
import java.time.Duration;
import java.util.PriorityQueue;

/**
 * A {@link RetryScheduler} whose time moves only when a test calls {@link #advance}: flush ages, retries, backoffs
 * and deadlines of a volume then happen exactly when the test says, without waiting. Tasks run on the thread that
 * advances (the volume hops to its own thread from there). Thread-safe.
 */
final class ManualScheduler implements RetryScheduler {
    private record Task(long due, long seq, Runnable run) {
    }

    private final PriorityQueue<Task> queue = new PriorityQueue<>((a, b) -> a.due != b.due
            ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
    private long now = 1_000_000_000L;
    private long seq;

    @Override
    public synchronized long nanoTime() {
        return now;
    }

    @Override
    public synchronized void schedule(Runnable task, long delayNanos) {
        queue.add(new Task(now + Math.max(0, delayNanos), seq++, task));
    }

    /** Moves time forward by {@code d}, running every task that falls due on the way, in time order. */
    void advance(Duration d) {
        long target;
        synchronized (this) {
            target = now + d.toNanos();
        }
        while (true) {
            Task t;
            synchronized (this) {
                t = queue.peek();
                if (t == null || t.due > target) {
                    now = target;
                    return;
                }
                queue.poll();
                now = Math.max(now, t.due);
            }
            t.run.run();
        }
    }

    synchronized int pending() {
        return queue.size();
    }
}
