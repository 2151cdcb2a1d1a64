package io.hyperfile.core.volume;

import io.hyperfile.core.checkpoint.CheckpointLocator;
import io.hyperfile.core.index.BlockIndex;
import io.hyperfile.core.index.NodeCache;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.segment.SegmentBuilder;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The way of a flush window to the store: seal → index → finish → upload → waiters.
 *
 * <ol>
 * <li>seal: the open builder stops taking writes and its changes become extent records (on a FLUSH, a FUA write, a
 *   full builder, or when its oldest write reaches {@code flush.age});
 * <li>index: the records are applied to the copy-on-write index, in seq order, on the volume thread but off the
 *   lock; the changed nodes are appended to the segment and the footer written (finish); from here the new index
 *   points into the segment, which {@link UnsettledSegments} serves from memory until it is stored;
 * <li>upload ({@link UploadWindow}): up to {@code upload.parallelism} conditional creates in flight, landing in
 *   any order; {@code durableSeq} is the contiguous durable prefix. Each footer records its floor (the durable seq
 *   when it was finished), so an open never takes a segment whose predecessors did not all land (docs/FORMAT.md);
 * <li>waiters ({@link FlushWaiters}): each FLUSH waits for the seq it needs; it completes once that seq and every
 *   one before it is durable, and fails with EIO ({@link VolumeUnavailableException}) if that has not happened
 *   within {@code flush.deadline}.
 * </ol>
 *
 * Group commit: while an earlier segment is on its way, a FLUSH does not seal the open builder at once but as soon as
 * the pipeline is empty, so writes and flushes that arrive meanwhile share its one PUT.
 *
 * <p>Failures go to {@link VolumeHealth}, which decides. A transient one (a store error after the store's own
 * retries, a timeout, out of memory) fails the waiting flushes with EIO and retries the step after
 * {@code upload.retry} (or at once on the next FLUSH); nothing is dropped. A create that finds the segment already
 * there and holding other bytes than this writer's means another writer took the volume over: fenced.
 *
 * <p>Not thread-safe: runs under the volume's lock; store continuations hop to the volume's executor.
 */
final class SegmentPipeline {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentPipeline.class);

    private final String name;
    private final String prefix;
    /** The volume's size: each window records it as of its seal (MutationQueue changes it only between windows' writes). */
    private final AtomicLong sizeBytes;
    private final VolumeConfig config;
    private final VolumeMonitor monitor;
    private final VolumeHealth health;
    private final ObjectStore store;
    private final UnsettledSegments unsettled;
    private final VolumeIndex volumeIndex;
    private final Executor executor;
    private final RetryScheduler timer;
    private WriteBuffer buffer;
    /** Called when the pipeline freed memory or changed state, so that waiting mutations can go on. */
    private Runnable onProgress = () -> { };

    private BlockIndex index;
    private final ArrayDeque<PendingSegment> pending = new ArrayDeque<>();
    private long durableSeq;
    private boolean indexing;
    private final UploadWindow uploads;
    /** Group commit: the seq of the open builder a flush wants sealed as soon as nothing is pending; -1 if none. */
    private long sealWhenIdle = -1;
    /** After a failure no new store work starts before this time (a FLUSH clears it). */
    private long backoffUntilNanos = Long.MIN_VALUE;
    private boolean retryTimerArmed;
    private final FlushWaiters waiters;
    private boolean ageTimerArmed;
    private int segmentsSinceHint;
    /** Set by abort from any thread: no store request may be sent after it (the window has its own flag). */
    private volatile boolean aborted;
    /** The store writes in flight, so that an abort can let them settle. */
    private volatile CompletableFuture<Void> storeWriteInFlight = CompletableFuture.completedFuture(null);

    private final AtomicLong segmentsWritten = new AtomicLong();
    private final AtomicLong segmentBytesWritten = new AtomicLong();
    private final AtomicLong indexNodesWritten = new AtomicLong();
    private final LivenessLog liveness = new LivenessLog();

    SegmentPipeline(String name, String prefix, AtomicLong sizeBytes, VolumeConfig config, VolumeMonitor monitor,
            VolumeHealth health, ObjectStore store, UnsettledSegments unsettled, VolumeIndex volumeIndex,
            Executor executor, BlockIndex index, long durableSeq) {
        this.name = name;
        this.prefix = prefix;
        this.sizeBytes = sizeBytes;
        this.config = config;
        this.monitor = monitor;
        this.health = health;
        this.store = store;
        this.unsettled = unsettled;
        this.volumeIndex = volumeIndex;
        this.executor = executor;
        this.timer = config.scheduler();
        this.index = index;
        this.durableSeq = durableSeq;
        this.waiters = new FlushWaiters(name, monitor, timer::nanoTime, this::schedule, config.flushDeadline());
        this.uploads = new UploadWindow(name, prefix, config.uploadParallelism(), monitor, health, store, executor,
                this::track, new UploadWindow.Listener() {
                    @Override
                    public void stored(PendingSegment ps) {
                        settled();
                    }

                    @Override
                    public void failed(String what, Throwable e) {
                        onFailure(what, e);
                    }
                });
    }

    void attach(WriteBuffer buffer, Runnable onProgress) {
        this.buffer = buffer;
        this.onProgress = onProgress;
    }

    BlockIndex index() {
        return index;
    }

    long durableSeq() {
        return durableSeq;
    }

    LivenessLog liveness() {
        return liveness;
    }

    void observeFlushes(FlushObserver observer) {
        waiters.observe(observer);
    }

    /** The sealed builders not yet durable, newest first (they serve reads). */
    List<SegmentBuilder> unsettledNewestFirst() {
        if (pending.isEmpty()) {
            return List.of();
        }
        List<SegmentBuilder> out = new ArrayList<>(pending.size());
        pending.descendingIterator().forEachRemaining(ps -> {
            if (ps.relocation == null) {
                out.add(ps.builder); // a move may have lost to a newer write: its bytes are read through the index
            }
        });
        return out;
    }

    /** Under the lock (dirty bytes are read from the buffers). */
    VolumeStats stats(long readAheadBytes, long readDefragBytes, int blockSize) {
        long dirtyBlocks = 0;
        if (!health.isStopped()) {
            SegmentBuilder open = buffer.open();
            dirtyBlocks = open == null ? 0 : open.usedSlots();
            for (PendingSegment ps : pending) {
                dirtyBlocks += ps.builder.usedSlots();
            }
        }
        NodeCache cache = volumeIndex.access().cache();
        VolumeStats.IndexFigures figures = new VolumeStats.IndexFigures(index.stats().nodeCount(), cache.nodeCount(),
                cache.sizeBytes(), cache.hits(), cache.misses());
        return new VolumeStats(segmentsWritten.get(), segmentBytesWritten.get(), indexNodesWritten.get(), readAheadBytes,
                uploads.ownSegmentsRecognised(), health.failures(), dirtyBlocks * blockSize, readDefragBytes, figures);
    }

    // ---------------------------------------------------------------- flush and seal

    /** Makes {@code result} complete once everything written so far is durable (or fail by the flush deadline). */
    void flushInto(CompletableFuture<Void> result) {
        RuntimeException refusal = health.writeRefusal();
        if (refusal != null) {
            monitor.fail(result, refusal);
            return;
        }
        long target;
        boolean sealNow = false;
        if (buffer.hasUnsealedWrites()) {
            target = buffer.open().seq();
            sealNow = pending.isEmpty();
            if (!sealNow) {
                sealWhenIdle = target;
            }
        } else {
            target = pending.isEmpty() ? durableSeq : pending.peekLast().seq();
        }
        if (target <= durableSeq) {
            monitor.complete(result, null);
            return;
        }
        backoffUntilNanos = Long.MIN_VALUE; // a flush retries failed work at once
        waiters.add(target, result); // before the seal: it may reach the store at once, and a stop there fails the waiters
        if (sealNow) {
            seal(buffer.takeOpen());
        } else {
            advance();
        }
    }

    /** Writes an empty segment as the next checkpoint: claims the log for this writer (see {@link VolumeOpener}). */
    CompletableFuture<Void> claim() {
        CompletableFuture<Void> result = new CompletableFuture<>();
        monitor.locked(() -> {
            SegmentBuilder b = buffer.emptyBuilder();
            if (b == null) {
                monitor.fail(result, new IllegalStateException("no write buffer for the claim of volume " + name));
                return;
            }
            pending.add(new PendingSegment(b, b.seal(), null, sizeBytes.get()));
            waiters.add(b.seq(), result);
            advance();
        });
        return result;
    }

    /** Takes a full or flushed builder into the pipeline. */
    void seal(SegmentBuilder b) {
        if (b == null) {
            return;
        }
        pending.add(new PendingSegment(b, b.seal(), null, sizeBytes.get()));
        advance();
    }

    /**
     * Takes a compaction window into the pipeline: {@code b} holds only the moved blocks of {@code relocation}
     * (possibly none, when it only rewrites index paths), and every earlier window is already sealed.
     */
    /** Sealed relocation windows not durable yet: the write buffers garbage collection itself holds. Under the lock. */
    int relocationsPending() {
        int n = 0;
        for (PendingSegment ps : pending) {
            if (ps.relocation != null) {
                n++;
            }
        }
        return n;
    }

    void sealRelocation(SegmentBuilder b, RelocationBatch relocation) {
        pending.add(new PendingSegment(b, b.seal(), relocation, sizeBytes.get()));
        advance();
    }

    /** Writes are in the open builder: make sure it is sealed once its oldest write reaches the flush age. */
    void onBuffered() {
        if (ageTimerArmed || !buffer.hasUnsealedWrites()) {
            return;
        }
        ageTimerArmed = true;
        long due = buffer.open().firstChangeNanos() + config.flushAge().toNanos();
        schedule(due, () -> {
            ageTimerArmed = false;
            if (!buffer.hasUnsealedWrites() || health.isStopped()) {
                return;
            }
            if (timer.nanoTime() - buffer.open().firstChangeNanos() >= config.flushAge().toNanos()) {
                seal(buffer.takeOpen());
            } else {
                onBuffered();
            }
        });
    }

    // ---------------------------------------------------------------- the steps

    /** Moves the pipeline on: seal a builder a flush waits for, index the next sealed segment, upload the next finished one. */
    void advance() {
        if (health.isStopped()) {
            return;
        }
        if (sealWhenIdle >= 0 && pending.isEmpty()) {
            long wanted = sealWhenIdle;
            sealWhenIdle = -1;
            if (buffer.hasUnsealedWrites() && buffer.open().seq() == wanted) {
                seal(buffer.takeOpen()); // calls back here with a pending segment
                return;
            }
        }
        if (timer.nanoTime() < backoffUntilNanos) {
            armRetryTimer();
            return;
        }
        if (!indexing) {
            for (PendingSegment ps : pending) {
                if (ps.bytes == null) {
                    indexSegment(ps);
                    break;
                }
            }
        }
        if (!aborted) {
            uploads.fill(pending);
        }
    }

    /**
     * Applies a sealed segment's changes to the index and finishes the segment, on the volume thread but without the
     * lock: the inputs (the previous index, the records, the sealed slots) no longer change, and the builder only
     * appends behind its slots, which concurrent readers never look at.
     *
     * <p>Every step is handed to the volume's executor explicitly. {@code advance} also runs on the threads that
     * submit writes (an NBD event loop, under the lock), and a dependent stage attached to a future that is already
     * complete runs on the thread that attaches it: chained with {@code thenCompose} after a trivial
     * {@code supplyAsync}, the whole indexing ran on the event loop whenever the executor won the race (a profile of
     * 4 KiB random writes at QD32 found about 40 % of the event loop's samples there).
     *
     * <p>The hand-off is made once the lock is released ({@link VolumeMonitor#later}), as are uploads: a thread woken
     * while the lock is held may take this thread's CPU, and on a busy machine every writer then waited for the lock
     * until the scheduler came back to its holder (docs/PERFORMANCE.md, "Replaced index nodes, and no wake-ups under
     * the volume's lock").
     */
    private void indexSegment(PendingSegment ps) {
        indexing = true;
        BlockIndex base = index;
        long floor = durableSeq; // everything its index points into at or below this is stored
        monitor.later(() -> startIndexing(ps, base, floor));
    }

    private void startIndexing(PendingSegment ps, BlockIndex base, long floor) {
        CompletableFuture<Finished> finished;
        try {
            finished = CompletableFuture.supplyAsync(() -> ps.relocation == null
                            ? volumeIndex.applyWindow(base, ps.seq(), ps.records)
                            : volumeIndex.applyRelocation(base, ps.seq(), ps.records, ps.relocation), executor)
                    .thenCompose(applying -> applying)
                    .thenApplyAsync(applied -> finish(ps, applied, floor), executor);
        } catch (RejectedExecutionException e) {
            monitor.locked(() -> indexing = false);
            return; // closed
        }
        finished.whenCompleteAsync((f, e) -> monitor.locked(() -> {
            indexing = false;
            if (health.isStopped()) {
                return;
            }
            if (e != null) {
                onFailure("indexing segment " + ps.seq(), e);
                return;
            }
            ps.bytes = f.bytes();
            // Readable before any index that points into it is published.
            unsettled.add(SegmentKeys.segment(prefix, ps.seq()), f.bytes());
            indexNodesWritten.addAndGet(f.nodesWritten());
            liveness.record(f.liveness());
            index = f.index();
            monitor.later(() -> volumeIndex.forget(f.replaced())); // nothing reads them from here on
            advance();
        }), executor);
    }

    private record Finished(ByteBuffer bytes, BlockIndex index, int nodesWritten, WindowLiveness liveness,
            List<NodePointer> replaced) {
    }

    private Finished finish(PendingSegment ps, VolumeIndex.Applied applied, long floor) {
        if (floor == 0 && ps.seq() > 1) { // 0 would read as seq - 1: the claim makes a seq durable before any other
            throw new IllegalStateException("segment " + ps.seq() + " of volume " + name + " finished before any was durable");
        }
        ps.builder.rewindTrailer(); // an earlier attempt may have failed half-way
        VolumeIndex.Saved saved = volumeIndex.save(applied.mutable(), ps.seq(), ps.builder);
        applied.liveness().nodesWritten(saved.bytesWritten());
        BlockIndex next = saved.index();
        NodePointer root = next.rootPointer();
        long createdMillis = config.clock().millis();
        ByteBuffer bytes = ps.builder.finish(ps.records, (dataOffset, dataBlocks, nodeOffset, nodeLength, tableOffset,
                tableLength, headerCrc, blockCrcsCrc, nodeCrc, tableCrc) -> new SegmentFooter(ps.seq(), ps.sizeBytes,
                dataOffset, dataBlocks, nodeOffset, nodeLength, tableOffset, tableLength,
                root == null ? 0 : root.segmentSeq(), root == null ? 0 : root.offset(), root == null ? 0 : root.length(),
                next.height(), next.stats().extentCount(), next.stats().mappedBlocks(), createdMillis,
                headerCrc, blockCrcsCrc, nodeCrc, tableCrc, floor == ps.seq() - 1 ? 0 : floor));
        return new Finished(bytes, next, saved.nodesWritten(), applied.liveness(), applied.replaced());
    }

    /** A segment is stored: the durable prefix moves over every stored segment at the head. */
    private void settled() {
        long before = durableSeq;
        while (!pending.isEmpty() && pending.peekFirst().stored) {
            PendingSegment ps = pending.pollFirst();
            durableSeq = ps.seq();
            unsettled.remove(SegmentKeys.segment(prefix, ps.seq()));
            segmentsWritten.incrementAndGet();
            segmentBytesWritten.addAndGet(ps.bytes.remaining());
            buffer.release(ps.builder.memory());
        }
        health.onSuccess();
        if (durableSeq > before) {
            waiters.completeUpTo(durableSeq);
            maybeWriteHint(durableSeq - before);
        }
        advance();
        onProgress.run();
    }

    /** A step failed: the health state decides; if it can pass, the waiting flushes get EIO and the step is retried. */
    private void onFailure(String what, Throwable e) {
        Throwable cause = Exceptions.unwrap(e);
        if (health.onFailure(what, cause) == VolumeHealth.Verdict.STOP) {
            return; // the health listener failed the waiters
        }
        waiters.failAll(new VolumeUnavailableException("volume " + name + ": " + what + " failed; the data stays buffered"
                + " and is retried: " + cause, cause), cause);
        backoffUntilNanos = timer.nanoTime() + config.uploadRetry().toNanos();
        armRetryTimer();
    }

    private void armRetryTimer() {
        if (retryTimerArmed) {
            return;
        }
        retryTimerArmed = true;
        schedule(backoffUntilNanos, () -> {
            retryTimerArmed = false;
            advance();
        });
    }

    /** The volume stopped (read-only, fenced, closed): every waiting flush fails with {@code reason}. */
    void failWaiters(Throwable reason) {
        waiters.failAll(reason, null);
    }

    // ---------------------------------------------------------------- hints, timers, abort

    /** {@code settled} more segments are durable; the hint only ever names the durable prefix. */
    private void maybeWriteHint(long settled) {
        segmentsSinceHint += (int) Math.min(settled, Integer.MAX_VALUE);
        if (aborted || segmentsSinceHint < config.hintEverySegments()) {
            return;
        }
        segmentsSinceHint = 0;
        long seq = durableSeq;
        CompletableFuture<Void> hint = CheckpointLocator.writeHint(store, prefix, seq);
        track(hint);
        hint.whenComplete((v, e) -> {
            if (e != null) {
                LOG.debug("volume {}: could not write hint {}: {}", name, seq, e.toString());
            }
        });
    }

    private void track(CompletableFuture<Void> write) {
        CompletableFuture<Void> settled = write.handle((v, e) -> null);
        storeWriteInFlight = storeWriteInFlight.thenCombine(settled, (a, b) -> null);
    }

    /** Runs {@code task} under the lock on the volume's executor at {@code dueNanos} (scheduler time). */
    private void schedule(long dueNanos, Runnable task) {
        long delay = Math.max(0, dueNanos - timer.nanoTime());
        timer.schedule(() -> {
            try {
                executor.execute(() -> monitor.locked(task));
            } catch (RejectedExecutionException e) {
                // closed
            }
        }, delay);
    }

    void abort() {
        aborted = true;
        uploads.abort();
    }

    CompletableFuture<Void> storeWritesInFlight() {
        return storeWriteInFlight;
    }
}
