package io.hyperfile.core.volume;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.block.ChangeRun;
import io.hyperfile.core.checkpoint.CheckpointLocator;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.index.BlockIndex;
import io.hyperfile.core.index.Run;
import io.hyperfile.core.segment.SegmentBuilder;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentHeader;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A virtual disk kept in an object store: block I/O in, immutable segments and a copy-on-write index out.
 *
 * <p>Semantics. Any byte offset and length inside the volume is served correctly (partial blocks are
 * read-modify-written). A write's future completes once the write is in the write buffer, where reads see it.
 * {@link #flush()} completes once every write completed before it is durable in the store; a
 * {@link #writeDurable durable write} (FUA) completes once it is durable itself. Reopening the volume from the store
 * alone, after any crash, gives the state of a completed flush at least as new as the last acknowledged one.
 * Requests outside the volume fail with {@link OutOfRangeException}; after a close, with
 * {@link VolumeClosedException}; once another writer took over, with {@link VolumeFencedException}; after
 * corruption was met, writes fail with {@link ReadOnlyVolumeException}. While the store fails, flushes that cannot
 * be made durable within {@code flush.deadline} fail with {@link VolumeUnavailableException} and the volume keeps
 * its data and retries; see {@link HealthState}.
 *
 * <p>Structure. This class is the facade; the work is split by job, all under one {@link VolumeMonitor lock}:
 * {@link WriteBuffer} (open builder, buffer memory, read overlay), {@link MutationQueue} (writes, zeroes and trims in
 * order, with read-modify-write), {@link SegmentPipeline} (seal → index → finish → upload → waiters),
 * {@link VolumeHealth} (the health state and the one decision about failures), {@link VolumeReads},
 * {@link ReadAhead} and {@link ReadDefrag} (the index side of reads), {@link VolumeOpener} (create, open, claim).
 *
 * <p>Threading. The calling thread takes the lock to apply a request at once (a buffered write costs no thread
 * hand-off). Store calls are asynchronous; their continuations and timers run on the volume's own thread
 * ({@code hf-volume-<name>}) under the same lock. Reads take the lock only to consult the write buffers and to pick
 * the index snapshot; index lookups, fetches and checksum verification run outside it, in parallel. Futures are
 * completed after the lock is released, on the calling thread, the volume thread or a store thread: callers that do
 * real work in their callbacks should hop to their own executor.
 *
 * <p>Buffers. {@code read} fills {@code dst} from its position to its limit without moving the position; {@code
 * write} reads {@code src} likewise. The caller must not touch them until the future completes.
 */
public final class Volume {
    private static final Logger LOG = LoggerFactory.getLogger(Volume.class);

    private final String name;
    private final String prefix;
    private final ObjectStore store;
    private final VolumeDescriptor descriptor;
    private final int blockSize;
    private final AtomicLong sizeBytes; // changed only in the mutation queue's turn (VolumeResizer)
    private final ScheduledThreadPoolExecutor executor;
    private final boolean snapshotView;
    private final Lineage lineage;

    private final VolumeMonitor monitor;
    private final VolumeHealth health;
    private final WriteBuffer buffer;
    private final SegmentPipeline pipeline;
    private final MutationQueue mutations;
    private final VolumeReads reads;
    private final ReadAhead readAhead;
    private final ChangeTracker changes;
    private final int maxBlocksPerSegment;
    private final BufferPool pool;

    Volume(String name, String prefix, ObjectStore store, UnsettledSegments view, VolumeDescriptor descriptor,
            VolumeConfig config, ScheduledThreadPoolExecutor executor, VolumeIndex volumeIndex, BlockIndex index,
            long sizeBytes, long durableSeq, long highestSeq, boolean snapshotView, Lineage lineage) {
        this.name = name;
        this.lineage = lineage;
        this.prefix = prefix;
        this.store = store;
        this.descriptor = descriptor;
        this.blockSize = descriptor.blockSizeBytes();
        this.sizeBytes = new AtomicLong(sizeBytes);
        this.executor = executor;
        this.snapshotView = snapshotView;
        this.monitor = new VolumeMonitor(name);
        this.health = new VolumeHealth(name, this::stopped);
        if (snapshotView) {
            health.startReadOnly("volume " + name + " is a read-only view of checkpoint " + durableSeq);
        }
        int stride = blockSize + 4;
        this.maxBlocksPerSegment = Math.max(2, (descriptor.segmentTargetBytes() - SegmentHeader.BYTES - SegmentFooter.BYTES) / stride);
        int bufferBytes = SegmentBuilder.minimumCapacity(blockSize, maxBlocksPerSegment) + (64 << 10) + maxBlocksPerSegment * 16;
        this.pool = new BufferPool(bufferBytes, (int) Math.max(2, config.dirtyLimitBytes() / bufferBytes));
        this.pipeline = new SegmentPipeline(name, prefix, this.sizeBytes, config, monitor, health, store, view, volumeIndex,
                executor, index, Math.max(durableSeq, highestSeq)); // orphans above the checkpoint are skipped
        this.buffer = new WriteBuffer(blockSize, maxBlocksPerSegment, descriptor.volumeId(), UUID.randomUUID(),
                descriptor.encoding(), pool,
                Math.max(durableSeq, highestSeq) + 1, pipeline::seal, pipeline::unsettledNewestFirst);
        SegmentReader segments = new SegmentReader(view, prefix, blockSize, descriptor.encoding());
        this.reads = new VolumeReads(segments, volumeIndex, blockSize, config.maxGetBytes(), new ReadDefrag(blockSize,
                snapshotView ? 0 : config.readDefragBytes(), maxBlocksPerSegment,
                () -> health.writeRefusal() == null && writeBufferLoad() < 0.5, this::relocate));
        this.readAhead = new ReadAhead(reads, config.readAheadBytes(), this.sizeBytes, blockSize);
        this.changes = new ChangeTracker(view, prefix, volumeIndex, segments, blockSize);
        this.mutations = new MutationQueue(name, blockSize, monitor, health, buffer, pipeline, executor, config,
                this.sizeBytes, (offset, dst) -> buffer.planRead(offset, dst, pipeline.index(), reads).fetch());
        pipeline.attach(buffer, mutations::drain);
    }

    /** Creates a volume under {@code prefix}; fails with {@link ObjectExistsException} if one is there. */
    public static CompletableFuture<VolumeDescriptor> create(ObjectStore store, String prefix, VolumeOptions options, Clock clock) {
        return VolumeOpener.create(store, prefix, options, clock);
    }

    /**
     * Opens the volume under {@code prefix} in the state of its newest segment, for reading and writing, and claims
     * its log for this writer (see {@link VolumeOpener}).
     */
    public static CompletableFuture<Volume> open(ObjectStore store, String prefix, String name, VolumeConfig config) {
        return VolumeOpener.openForWriting(store, prefix, name, config);
    }

    /**
     * Opens a read-only view of the volume as of checkpoint {@code seq} (0: empty): a snapshot. Writes fail with
     * {@link ReadOnlyVolumeException}; a flush has nothing to do and succeeds.
     */
    public static CompletableFuture<Volume> openReadOnlyAt(ObjectStore store, String prefix, String name, VolumeConfig config, long seq) {
        return VolumeOpener.openReadOnlyAt(store, prefix, name, config, seq);
    }

    /** Writes the claim segment (called once by the opener before the volume is handed out). */
    CompletableFuture<Void> claimLog() {
        return pipeline.claim();
    }

    public String name() {
        return name;
    }

    public long sizeBytes() {
        return sizeBytes.get();
    }

    public int blockSizeBytes() {
        return blockSize;
    }

    public VolumeDescriptor descriptor() {
        return descriptor;
    }

    /** Whose segments this volume reads: only its own, or, for a clone, also its ancestors' (docs/CLONES.md). */
    public Lineage lineage() {
        return lineage;
    }

    /** Whether this is a read-only view of a checkpoint (a snapshot); corruption makes a volume read-only too. */
    public boolean isSnapshotView() {
        return snapshotView;
    }

    /** The volume's health now; any thread. */
    public HealthState health() {
        return health.state();
    }

    /** Counters since open, and the dirty bytes now; any thread (takes the lock briefly). */
    public VolumeStats stats() {
        monitor.lock();
        try {
            return pipeline.stats(readAhead.bytesFetched(), reads.defragBytes(), blockSize);
        } finally {
            monitor.unlock();
        }
    }

    /** From now on {@code observer} is told how long each FLUSH or FUA write took to become durable (null: nobody). */
    public void observeFlushes(FlushObserver observer) {
        pipeline.observeFlushes(observer);
    }

    /** The newest durable segment seq (0 if none), as last seen; for tests and tools. */
    public CompletableFuture<Long> durableSeq() {
        return onVolume(pipeline::durableSeq);
    }

    /** Reads {@code dst.remaining()} bytes at {@code offset} into {@code dst}. */
    public CompletableFuture<Void> read(long offset, ByteBuffer dst) {
        int length = dst.remaining();
        checkRange("read", offset, length);
        if (length == 0) {
            return CompletableFuture.completedFuture(null);
        }
        WriteBuffer.ReadPlan plan;
        monitor.lock();
        try {
            health.checkReadable();
            plan = buffer.planRead(offset, dst.duplicate(), pipeline.index(), reads);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            monitor.unlock();
        }
        readAhead.onRead(offset, length, plan.index());
        CompletableFuture<Void> fetched;
        try {
            fetched = plan.fetch();
        } catch (RuntimeException e) {
            fetched = CompletableFuture.failedFuture(e);
        }
        if (fetched.isDone() && !fetched.isCompletedExceptionally()) {
            return fetched;
        }
        return fetched.exceptionallyCompose(e -> CompletableFuture.failedFuture(onReadFailure(e)));
    }

    /** Writes {@code src.remaining()} bytes at {@code offset}; completes once buffered (readable, not yet durable). */
    public CompletableFuture<Void> write(long offset, ByteBuffer src) {
        return enqueue(new Mutation(Mutation.Kind.WRITE, offset, src.remaining(), src.duplicate(), false));
    }

    /** Writes like {@link #write} and completes only once the write is durable (NBD FUA). */
    public CompletableFuture<Void> writeDurable(long offset, ByteBuffer src) {
        return enqueue(new Mutation(Mutation.Kind.WRITE, offset, src.remaining(), src.duplicate(), true));
    }

    /** Makes the range read as zeros, storing no data (WRITE_ZEROES; reported as ZERO, not HOLE). */
    public CompletableFuture<Void> writeZeroes(long offset, long length) {
        return enqueue(new Mutation(Mutation.Kind.ZERO, offset, length, null, false));
    }

    /** Like {@link #writeZeroes} and durable on completion. */
    public CompletableFuture<Void> writeZeroesDurable(long offset, long length) {
        return enqueue(new Mutation(Mutation.Kind.ZERO, offset, length, null, true));
    }

    /**
     * Discards the whole blocks inside the range (they become holes and read as zeros); partial blocks at its
     * ends keep their content, as TRIM allows.
     */
    public CompletableFuture<Void> trim(long offset, long length) {
        return enqueue(new Mutation(Mutation.Kind.TRIM, offset, length, null, false));
    }

    /**
     * Queues a compaction window (garbage collection only; docs/GC.md): in order with the writes around it, in a
     * segment of its own. Completes when the window is sealed, not when it is durable: {@link #flush} after it.
     * Each moved block changes the index only if it still maps to where the block was read from.
     */
    public CompletableFuture<Void> relocate(RelocationBatch batch) {
        if (batch.blockCount() > maxBlocksPerSegment) {
            throw new IllegalArgumentException("a relocation batch holds at most " + maxBlocksPerSegment + " blocks, not "
                    + batch.blockCount());
        }
        return submit(new Mutation(batch));
    }

    /** Queues {@code m} in order with the requests around it, unchecked (relocations; size changes: {@link VolumeResizer}). */
    CompletableFuture<Void> submit(Mutation m) {
        run(m.future, () -> mutations.add(m));
        return m.future;
    }

    /**
     * The live-bytes changes of every window indexed from now on (docs/GC.md, "Incremental liveness"), for the
     * garbage collector's table. The first call starts keeping them.
     */
    public LivenessLog liveness() {
        LivenessLog log = pipeline.liveness();
        log.enable();
        return log;
    }

    /**
     * How the indexed state maps each block range {@code [startBlocks[i], endBlocks[i])}: runs covering it exactly, in
     * order. Garbage collection finds a victim's live slots this way; windows not indexed yet are not seen.
     */
    public CompletableFuture<List<List<Run>>> mapping(long[] startBlocks, long[] endBlocks) {
        BlockIndex snapshot;
        monitor.lock();
        try {
            health.checkReadable();
            snapshot = pipeline.index();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            monitor.unlock();
        }
        return reads.lookup(snapshot, startBlocks, endBlocks);
    }

    /**
     * The share of the write buffer that clients use, from 0 to 1: buffers taken by the open window and by sealed
     * client windows not yet durable (not those of garbage collection's own relocations, or compaction would wait
     * for itself). Garbage collection holds its moves back while it is above one half.
     */
    public double writeBufferLoad() {
        monitor.lock();
        try {
            return (double) (pool.outstanding() - pipeline.relocationsPending()) / pool.maxBuffers();
        } finally {
            monitor.unlock();
        }
    }

    /** The most blocks one {@link RelocationBatch} may hold: one segment's worth. */
    public int maxRelocationBlocks() {
        return maxBlocksPerSegment;
    }

    /**
     * The lowest seq this writer has not assigned yet: a segment at or above it that exists in the store was written
     * by another writer (a takeover), which is what garbage collection checks before it deletes anything.
     */
    public CompletableFuture<Long> nextSeq() {
        return onVolume(buffer::nextSeq);
    }

    /** Completes once every write completed before this call is durable. */
    public CompletableFuture<Void> flush() {
        CompletableFuture<Void> result = new CompletableFuture<>();
        run(result, () -> {
            if (snapshotView) {
                monitor.complete(result, null);
            } else {
                pipeline.flushInto(result);
            }
        });
        return result;
    }

    /** Allocation state of the range: runs of DATA, ZERO and HOLE covering it exactly, in order. */
    public CompletableFuture<List<BlockStatusRun>> blockStatus(long offset, long length) {
        checkRange("block status", offset, length);
        return overRange(offset, length, (pieces, snapshot) -> reads.blockStatus(snapshot, pieces, offset, length));
    }

    /** Which bytes of the range changed since {@code checkpoint} ({@code seq:N}, {@code SNAP}, {@code time:T}; {@link ChangeTracker}). */
    public CompletableFuture<List<ChangeRun>> changedSince(String checkpoint, long offset, long length) {
        checkRange("change status", offset, length);
        return overRange(offset, length, (pieces, snapshot) -> changes.changedSince(checkpoint, snapshot, pieces, offset, length));
    }

    /** Runs {@code query} on the buffer pieces and index snapshot of a range, taken together; empty for no bytes. */
    private <T> CompletableFuture<List<T>> overRange(long offset, long length,
            BiFunction<List<WriteBuffer.Piece>, BlockIndex, CompletableFuture<List<T>>> query) {
        if (length == 0) {
            return CompletableFuture.completedFuture(List.of());
        }
        List<WriteBuffer.Piece> pieces;
        BlockIndex snapshot;
        monitor.lock();
        try {
            health.checkReadable();
            pieces = buffer.overlay(offset / blockSize, (offset + length + blockSize - 1) / blockSize);
            snapshot = pipeline.index();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            monitor.unlock();
        }
        return query.apply(pieces, snapshot).exceptionallyCompose(e -> CompletableFuture.failedFuture(onReadFailure(e)));
    }

    /** Flushes, then stops: later calls fail with {@link VolumeClosedException}. */
    public CompletableFuture<Void> close() {
        CompletableFuture<Void> flushed = new CompletableFuture<>();
        monitor.lock();
        try {
            switch (health.state()) {
                case CLOSED -> {
                    return CompletableFuture.completedFuture(null);
                }
                case FENCED -> monitor.fail(flushed, health.writeRefusal());
                case READ_ONLY -> monitor.complete(flushed, null);
                default -> pipeline.flushInto(flushed);
            }
        } finally {
            monitor.unlock();
        }
        return flushed.handle((v, e) -> {
            long hint;
            monitor.lock();
            try {
                if (health.state() == HealthState.CLOSED) {
                    return CompletableFuture.<Void>completedFuture(null);
                }
                hint = pipeline.durableSeq();
                health.close(new VolumeClosedException("volume " + name + " is closed"));
            } finally {
                monitor.unlock();
            }
            CompletableFuture<Void> hinted = hint > 0 && e == null && !snapshotView
                    ? CheckpointLocator.writeHint(store, prefix, hint).exceptionally(h -> null)
                    : CompletableFuture.completedFuture(null);
            return hinted.thenCompose(x -> e != null
                    ? CompletableFuture.<Void>failedFuture(Exceptions.unwrap(e))
                    : CompletableFuture.<Void>completedFuture(null));
        }).thenCompose(f -> f);
    }

    /**
     * Stops at once as a crash would: unflushed writes are dropped, waiting requests fail, and no store request is
     * sent from now on. Returns once the volume thread has stopped (unless called from it). Store requests already
     * sent may still land, exactly as after a real crash.
     */
    public void abort() {
        pipeline.abort();
        boolean insideVolume = monitor.isHeldByCurrentThread() || Thread.currentThread().getName().equals("hf-volume-" + name);
        monitor.locked(() -> health.close(new VolumeClosedException("volume " + name + " was aborted")));
        executor.shutdown();
        if (!insideVolume) {
            try {
                executor.awaitTermination(30, TimeUnit.SECONDS);
                // A request already sent lands or not; either way it settles before whoever reopens looks.
                pipeline.storeWritesInFlight().get(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.warn("volume {}: a store write was still running after abort: {}", name, e.toString());
            }
        }
    }

    @Override
    public String toString() {
        return "Volume[" + name + " at " + prefix + "]";
    }

    /** The health listener: the volume stopped taking writes (read-only, fenced) or closed. Under the lock. */
    private void stopped(HealthState state, RuntimeException reason) {
        pipeline.failWaiters(reason);
        buffer.failWaiters(reason);
        mutations.drain(); // fails what is queued with the refusal
        if (state == HealthState.CLOSED) {
            mutations.failAll(reason);
            buffer.retire();
            executor.shutdown();
        }
    }

    private CompletableFuture<Void> enqueue(Mutation m) {
        checkRange(m.kind == Mutation.Kind.WRITE ? "write" : m.kind == Mutation.Kind.ZERO ? "write zeroes" : "trim",
                m.offset, m.length);
        if (m.length == 0) {
            return CompletableFuture.completedFuture(null);
        }
        return submit(m);
    }

    private Throwable onReadFailure(Throwable e) {
        Throwable cause = Exceptions.unwrap(e);
        if (cause instanceof CorruptionException) {
            monitor.locked(() -> health.onCorruptRead(cause));
        }
        return cause;
    }

    private void checkRange(String what, long offset, long length) {
        long size = sizeBytes.get();
        if (offset < 0 || length < 0 || offset + length > size || offset + length < 0) {
            throw new OutOfRangeException(what + " of " + length + " bytes at offset " + offset
                    + " is outside volume " + name + " of " + size + " bytes");
        }
    }

    /** Runs {@code task} under the lock on the calling thread; if it throws, or the volume is closed, fails {@code result}. */
    private void run(CompletableFuture<?> result, Runnable task) {
        monitor.lock();
        try {
            if (health.state() == HealthState.CLOSED) {
                monitor.fail(result, new VolumeClosedException("volume " + name + " is closed"));
                return;
            }
            task.run();
        } catch (RuntimeException | Error e) {
            monitor.fail(result, e);
        } finally {
            monitor.unlock();
        }
    }

    private <T> CompletableFuture<T> onVolume(Supplier<T> value) {
        CompletableFuture<T> result = new CompletableFuture<>();
        run(result, () -> monitor.complete(result, value.get()));
        return result;
    }
}
