package io.hyperfile.core.volume;

import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one lock of a volume and the completions deferred under it. Every job of the volume (write buffer, mutation
 * queue, segment pipeline, health) keeps its state under this lock; futures are never completed under it:
 * {@link #complete} and {@link #fail} queue the completion, and the outermost holder runs the queue once it has
 * released the lock, so callbacks (which may call back into the volume, or do I/O) never run under it.
 * Thread-safe.
 */
final class VolumeMonitor {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeMonitor.class);

    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    /** Deferred completions, in order: a {@link Runnable}, or a future to complete with null (no lambda for it). */
    private final ArrayList<Object> deferred = new ArrayList<>();

    VolumeMonitor(String name) {
        this.name = name;
    }

    void lock() {
        lock.lock();
    }

    /** Releases the lock; the outermost holder then runs the completions deferred under it. */
    void unlock() {
        if (lock.getHoldCount() > 1 || deferred.isEmpty()) {
            lock.unlock();
            return;
        }
        if (deferred.size() == 1) { // the usual case (one request's completion): no array
            Object only = deferred.get(0);
            deferred.clear();
            lock.unlock();
            run(only);
            return;
        }
        Object[] todo = deferred.toArray();
        deferred.clear();
        lock.unlock();
        for (Object r : todo) {
            run(r);
        }
    }

    @SuppressWarnings("unchecked")
    private void run(Object deferredCompletion) {
        try {
            if (deferredCompletion instanceof CompletableFuture<?> f) {
                ((CompletableFuture<Object>) f).complete(null);
            } else {
                ((Runnable) deferredCompletion).run();
            }
        } catch (RuntimeException | Error e) {
            LOG.warn("volume {}: a completion callback threw", name, e);
        }
    }

    boolean isHeldByCurrentThread() {
        return lock.isHeldByCurrentThread();
    }

    /** Runs {@code task} under the lock. */
    void locked(Runnable task) {
        lock();
        try {
            task.run();
        } finally {
            unlock();
        }
    }

    /** Completes {@code f} once the lock is released (under the lock: queued). */
    <T> void complete(CompletableFuture<T> f, T value) {
        if (value == null) {
            deferred.add(f);
        } else {
            later(() -> f.complete(value));
        }
    }

    /** Fails {@code f} once the lock is released (under the lock: queued). */
    void fail(CompletableFuture<?> f, Throwable cause) {
        later(() -> f.completeExceptionally(cause));
    }

    /** Runs {@code r} once the lock is released (under the lock: queued). */
    void later(Runnable r) {
        deferred.add(r);
    }
}
