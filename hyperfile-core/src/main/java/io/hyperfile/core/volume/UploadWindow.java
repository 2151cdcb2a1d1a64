package io.hyperfile.core.volume;

import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The uploads of a volume's finished segments: up to {@code upload.parallelism} conditional creates in flight at
 * once, among the oldest {@code upload.parallelism} segments not yet durable (so every seq in flight is at most
 * {@code durableSeq + parallelism}). Segments may land in any order; the pipeline counts one as durable only once
 * every segment before it is (the contiguous durable prefix), and a segment's footer records the floor that lets an
 * open tell a complete checkpoint from an orphan (docs/FORMAT.md, "Finding the newest checkpoint").
 *
 * <p>A create that finds its seq taken reads the object back: if the bytes are exactly this writer's (an earlier
 * attempt landed although its answer was lost) the upload succeeded; otherwise another writer took the volume
 * over, and the volume is fenced. A failed upload goes back to waiting; the pipeline decides when to retry.
 *
 * <p>Not thread-safe: runs under the volume's lock; store continuations hop to the volume's executor.
 */
final class UploadWindow {
    private static final Logger LOG = LoggerFactory.getLogger(UploadWindow.class);

    /** What becomes of an upload; called under the lock. */
    interface Listener {
        /** {@code ps} is stored (not necessarily every segment before it). */
        void stored(PendingSegment ps);

        /** A step failed with something other than fencing (which goes to the health state directly). */
        void failed(String what, Throwable e);
    }

    private final String name;
    private final String prefix;
    private final int parallelism;
    private final VolumeMonitor monitor;
    private final VolumeHealth health;
    private final ObjectStore store;
    private final Executor executor;
    private final Consumer<CompletableFuture<Void>> tracker;
    private final Listener listener;
    private final AtomicLong ownSegmentsRecognised = new AtomicLong();
    private int inFlight;
    /** Set by abort from any thread: no create may be sent after it. */
    private volatile boolean aborted;

    UploadWindow(String name, String prefix, int parallelism, VolumeMonitor monitor, VolumeHealth health,
            ObjectStore store, Executor executor, Consumer<CompletableFuture<Void>> tracker, Listener listener) {
        this.name = name;
        this.prefix = prefix;
        this.parallelism = parallelism;
        this.monitor = monitor;
        this.health = health;
        this.store = store;
        this.executor = executor;
        this.tracker = tracker;
        this.listener = listener;
    }

    /**
     * Starts the uploads that may start: the finished segments, not in flight and not stored, among the first
     * {@code parallelism} of {@code pending} (oldest first, the oldest not durable at its head).
     */
    void fill(Collection<PendingSegment> pending) {
        int position = 0;
        for (PendingSegment ps : pending) {
            if (position++ >= parallelism || inFlight >= parallelism || aborted) {
                return;
            }
            if (ps.bytes != null && !ps.uploading && !ps.stored) {
                upload(ps);
            }
        }
    }

    int inFlight() {
        return inFlight;
    }

    long ownSegmentsRecognised() {
        return ownSegmentsRecognised.get();
    }

    void abort() {
        aborted = true;
    }

    private void upload(PendingSegment ps) {
        ps.uploading = true;
        inFlight++;
        String key = SegmentKeys.segment(prefix, ps.seq());
        ByteBuffer body = ps.bytes.duplicate();
        CompletableFuture<Void> create = new CompletableFuture<>();
        // Sent once the lock is released: the store call wakes an I/O thread, which must not take this thread's CPU
        // while it holds the volume's lock (the writers would wait for the lock until it is scheduled again).
        monitor.later(() -> send(key, body, create));
        tracker.accept(create);
        create.whenCompleteAsync((v, e) -> monitor.locked(() -> {
            if (health.isStopped() || e != null && aborted) {
                done(ps); // after an abort a failure is no news for the volume's health (perhaps it was never sent)
            } else if (e == null) {
                done(ps);
                ps.stored = true;
                listener.stored(ps);
            } else if (Exceptions.unwrap(e) instanceof ObjectExistsException) {
                checkOwnSegment(ps, key); // still in flight until it is decided
            } else {
                done(ps);
                listener.failed("upload of " + key, e);
            }
        }), executor);
    }

    /** Sends a create (outside the lock) and passes its outcome to {@code create}; none is sent after an abort. */
    private void send(String key, ByteBuffer body, CompletableFuture<Void> create) {
        if (aborted) {
            create.completeExceptionally(new CancellationException("volume " + name + ": aborted before " + key + " was sent"));
            return;
        }
        CompletableFuture<Void> sent;
        try {
            sent = store.create(key, body);
        } catch (RuntimeException | Error e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((v, e) -> {
            if (e == null) {
                create.complete(null);
            } else {
                create.completeExceptionally(e);
            }
        });
    }

    private void done(PendingSegment ps) {
        ps.uploading = false;
        inFlight--;
    }

    /**
     * The segment exists already. If an earlier attempt of ours landed (its answer lost, the store's retries run
     * out, the local store's directory sync failed after the link), the bytes there are exactly ours: that is
     * success. Anything else there was written by another writer: fenced.
     */
    private void checkOwnSegment(PendingSegment ps, String key) {
        CompletableFuture<Boolean> ours;
        try {
            ours = store.get(key, ByteRange.all()).thenApply(d -> d.data().equals(ps.bytes.duplicate()));
        } catch (RuntimeException e) {
            ours = CompletableFuture.failedFuture(e);
        }
        ours.whenCompleteAsync((same, e) -> monitor.locked(() -> {
            done(ps);
            if (health.isStopped()) {
                return;
            }
            if (e != null) {
                listener.failed("reading back " + key + " (found existing on upload)", e);
            } else if (same) {
                LOG.info("volume {}: {} was already stored by an earlier attempt of this writer; upload complete", name, key);
                ownSegmentsRecognised.incrementAndGet();
                ps.stored = true;
                listener.stored(ps);
            } else {
                health.onFailure("upload of " + key, new VolumeFencedException("volume " + name
                        + " has been taken over by another writer: " + key + " already exists with other contents;"
                        + " this instance stopped writing and must be reopened", null));
            }
        }), executor);
    }
}
