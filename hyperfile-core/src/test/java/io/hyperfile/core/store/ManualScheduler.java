package io.hyperfile.core.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A {@link RetryScheduler} whose time moves only when a test says so: {@link #advance} runs every task that falls
 * due on the way, {@link #runNext} jumps to the earliest task and runs it. Flush ages, retries, backoffs and
 * deadlines then happen exactly when the test decides, without waiting. Thread-safe (unlike
 * {@link VirtualScheduler}, which expects every call on the test thread): tasks may be scheduled from store and
 * volume threads, and run on the thread that advances, outside the lock.
 */
public final class ManualScheduler implements RetryScheduler {
    private record Task(long due, long seq, Runnable run) {
    }

    private final PriorityQueue<Task> queue = new PriorityQueue<>((a, b) -> a.due != b.due
            ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
    private final List<Long> delays = new ArrayList<>();
    private long now = 1_000_000_000L;
    private long seq;

    @Override
    public synchronized long nanoTime() {
        return now;
    }

    @Override
    public synchronized void schedule(Runnable task, long delayNanos) {
        delays.add(delayNanos);
        queue.add(new Task(now + Math.max(0, delayNanos), seq++, task));
    }

    /** Moves time forward by {@code d}, running every task that falls due on the way, in time order. */
    public void advance(Duration d) {
        long target;
        synchronized (this) {
            target = now + d.toNanos();
        }
        while (true) {
            Task t;
            synchronized (this) {
                t = queue.peek();
                if (t == null || t.due > target) {
                    now = Math.max(now, target);
                    return;
                }
                queue.poll();
                now = Math.max(now, t.due);
            }
            t.run.run();
        }
    }

    /** Advances the clock to the earliest task and runs it; false if none is scheduled. */
    public boolean runNext() {
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

    public synchronized int pending() {
        return queue.size();
    }

    /** Every delay asked for so far, in order. */
    public synchronized List<Long> delays() {
        return new ArrayList<>(delays);
    }
}
