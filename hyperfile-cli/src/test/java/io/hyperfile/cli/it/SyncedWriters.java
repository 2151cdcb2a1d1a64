package io.hyperfile.cli.it;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Writer threads for crash tests on a mounted file system: each writes files of random size (4 KiB to 1 MiB) as
 * {@code ROOT/PREFIX<n>/f<i>.bin} and fsyncs every one (file, then directory). A file goes into the {@code durable}
 * map once its fsync returned, which means the server acknowledged a FLUSH covering it. A writer stops when its first
 * write or fsync fails (the disk went away: nothing is promised about that file), when {@code keepGoing} turns false,
 * or when the writers together have written {@code maxBytes}.
 *
 * <p>Thread-safe: the figures and {@link #isInsideFsync} may be read from any thread while the writers run.
 */
final class SyncedWriters {
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong synced = new AtomicLong();
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicInteger syncing = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();

    private SyncedWriters() {
    }

    /** Starts {@code count} writers; each takes its own split of {@code random}. */
    static SyncedWriters start(Path root, String prefix, int count, long maxBytes, SplittableRandom random,
            Map<String, String> durable, BooleanSupplier keepGoing) {
        SyncedWriters w = new SyncedWriters();
        w.running.set(count);
        for (int i = 0; i < count; i++) {
            SplittableRandom r = random.split();
            String dir = prefix + i + "/f";
            w.threads.add(new Thread(() -> w.write(root, dir, maxBytes, r, durable, keepGoing), "hf-test-writer-" + i));
        }
        w.threads.forEach(Thread::start);
        return w;
    }

    private void write(Path root, String prefix, long maxBytes, SplittableRandom r, Map<String, String> durable,
            BooleanSupplier keepGoing) {
        try {
            for (int i = 0; keepGoing.getAsBoolean(); i++) {
                String name = prefix + String.format("%05d.bin", i);
                long size = r.nextLong(4 << 10, 1 << 20);
                if (written.addAndGet(size) > maxBytes) {
                    written.addAndGet(-size);
                    return;
                }
                try {
                    String sum = FileTree.writeFile(root.resolve(name), size, r, false);
                    syncing.incrementAndGet();
                    try {
                        FileTree.fsync(root.resolve(name));
                    } finally {
                        syncing.decrementAndGet();
                    }
                    durable.put(name, sum);
                } catch (IOException e) {
                    failures.incrementAndGet(); // the disk went away during this file: nothing is promised about it
                    return;
                }
                synced.addAndGet(size);
                synchronized (this) {
                    notifyAll();
                }
            }
        } finally {
            running.decrementAndGet();
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** Waits until the writers have synced at least {@code bytes} or all have stopped; false on timeout. */
    synchronized boolean awaitSynced(long bytes, long timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (synced.get() < bytes && running.get() > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** Whether a writer is inside fsync now (so a FLUSH is likely in flight). */
    boolean isInsideFsync() {
        return syncing.get() > 0;
    }

    boolean isRunning() {
        return running.get() > 0;
    }

    /** Waits for every writer to stop. */
    void join() throws InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
    }

    /** Bytes of every file begun, synced or not (an upper bound of what the writers added to the disk). */
    long bytesWritten() {
        return written.get();
    }

    long bytesSynced() {
        return synced.get();
    }

    int failures() {
        return failures.get();
    }
}
