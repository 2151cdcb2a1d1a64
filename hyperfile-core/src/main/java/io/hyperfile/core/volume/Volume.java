package io.hyperfile.core.volume;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.checkpoint.CheckpointLocator;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.format.FormatVersion;
import io.hyperfile.core.index.BlockIndex;
import io.hyperfile.core.index.MutableBlockIndex;
import io.hyperfile.core.index.NodeLimits;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.segment.SegmentBuilder;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentHeader;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
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
 * corruption was met, writes fail with {@link ReadOnlyVolumeException}.
 *
 * <p>Threading. The volume is a monitor: all state is guarded by one lock, which the calling thread takes to
 * apply a request at once (a buffered write costs no thread hand-off). Store calls are asynchronous; their
 * continuations, timers and retries run on the volume's own thread ({@code hf-volume-<name>}) under the same lock.
 * Mutations apply in arrival order. Reads take the lock only to consult the write buffers and to pick the index
 * snapshot; index lookups, fetches and checksum verification run outside it, on the caller's or a store thread.
 * Futures are completed after the lock is released, on the calling thread, the volume thread or a store thread:
 * callers that do real work in their callbacks should hop to their own executor.
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
    private final VolumeConfig config;
    private final int blockSize;
    private final long sizeBytes;
    private final UUID writerId = UUID.randomUUID();
    private final ScheduledThreadPoolExecutor executor;
    private final SegmentReader segments;
    private final VolumeIndex volumeIndex;
    private final BufferPool pool;
    private final int maxBlocksPerSegment;
    private final ByteBuffer zeroBlock;
    private final VolumeReads reads;
    private final boolean snapshotView;

    /** Guards every field below; see the class comment. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Completions to run once the outermost holder releases {@link #lock}, so no callback runs under it. */
    private final ArrayList<Runnable> deferred = new ArrayList<>();

    private BlockIndex index;
    private SegmentBuilder open;
    private CompletableFuture<ByteBuffer> pendingBuffer;
    private final ArrayDeque<PendingSegment> pending = new ArrayDeque<>();
    private long nextSeq;
    private long durableSeq;
    private boolean indexing;
    private boolean uploading;
    /** Group commit: the seq of the open builder a flush wants sealed as soon as nothing is pending; -1 if none. */
    private long sealWhenIdle = -1;
    private Throwable uploadFailure;
    private long uploadFailedNanos;
    private RuntimeException fatal;
    private RuntimeException readOnlyCause;
    private boolean closed;
    /** Set by {@link #abort} from any thread: no store request may be sent after it. */
    private volatile boolean aborted;
    /** The store write in flight, if any, so that {@link #abort} can let it settle. */
    private volatile CompletableFuture<Void> storeWriteInFlight = CompletableFuture.completedFuture(null);
    private final ArrayDeque<Mutation> queue = new ArrayDeque<>();
    private boolean draining;
    private final TreeMap<Long, List<CompletableFuture<Void>>> flushWaiters = new TreeMap<>();
    private int segmentsSinceHint;

    /** Read-ahead state (any thread): end of the last read, end of the last window fetched, one window at a time. */
    private final AtomicLong lastReadEnd = new AtomicLong(-1);
    private volatile long readAheadUpTo;
    private final AtomicBoolean readAheadBusy = new AtomicBoolean();
    private final AtomicLong readAheadBytes = new AtomicLong();

    private final AtomicLong segmentsWritten = new AtomicLong();
    private final AtomicLong segmentBytesWritten = new AtomicLong();
    private final AtomicLong indexNodesWritten = new AtomicLong();

    private Volume(String name, String prefix, ObjectStore store, VolumeDescriptor descriptor, VolumeConfig config,
            ScheduledThreadPoolExecutor executor, VolumeIndex volumeIndex, BlockIndex index, long sizeBytes, long durableSeq,
            boolean snapshotView) {
        this.name = name;
        this.prefix = prefix;
        this.store = store;
        this.descriptor = descriptor;
        this.config = config;
        this.blockSize = descriptor.blockSizeBytes();
        this.sizeBytes = sizeBytes;
        this.volumeIndex = volumeIndex;
        this.index = index;
        this.durableSeq = durableSeq;
        this.nextSeq = durableSeq + 1;
        this.snapshotView = snapshotView;
        if (snapshotView) {
            this.readOnlyCause = new ReadOnlyVolumeException("volume " + name + " is a read-only view of checkpoint "
                    + durableSeq, null);
        }
        this.segments = new SegmentReader(store, prefix, blockSize);
        int stride = blockSize + 4;
        this.maxBlocksPerSegment = Math.max(2, (descriptor.segmentTargetBytes() - SegmentHeader.BYTES - SegmentFooter.BYTES) / stride);
        int bufferBytes = SegmentBuilder.minimumCapacity(blockSize, maxBlocksPerSegment) + (64 << 10) + maxBlocksPerSegment * 16;
        this.pool = new BufferPool(bufferBytes, (int) Math.max(2, config.dirtyLimitBytes() / bufferBytes));
        this.zeroBlock = ByteBuffer.allocateDirect(blockSize).asReadOnlyBuffer();
        this.executor = executor;
        this.reads = new VolumeReads(this.segments, volumeIndex, blockSize, config.maxGetBytes());
        long tickMillis = Math.max(5, Math.min(1000, config.flushAge().toMillis() / 4));
        executor.scheduleWithFixedDelay(() -> locked(this::tick), tickMillis, tickMillis, TimeUnit.MILLISECONDS);
    }

    // ---------------------------------------------------------------- create / open

    /** Creates a volume under {@code prefix}; fails with {@link ObjectExistsException} if one is there. */
    public static CompletableFuture<VolumeDescriptor> create(ObjectStore store, String prefix, VolumeOptions options, Clock clock) {
        String p = SegmentKeys.normalizePrefix(prefix);
        VolumeDescriptor d = new VolumeDescriptor(FormatVersion.CURRENT, options.blockSizeBytes(), options.sizeBytes(),
                options.segmentTargetBytes(), options.maxNodeBytes(), UUID.randomUUID(), clock.millis());
        NodeLimits.ofNodeBytes(options.maxNodeBytes());
        return store.create(SegmentKeys.descriptor(p), d.encode()).thenApply(v -> d);
    }

    /** Opens the volume under {@code prefix} in the state of its newest segment, for reading and writing. */
    public static CompletableFuture<Volume> open(ObjectStore store, String prefix, String name, VolumeConfig config) {
        String p = SegmentKeys.normalizePrefix(prefix);
        return descriptor(store, p).thenCompose(desc -> CheckpointLocator.newestSegment(store, p)
                .thenCompose(newest -> openAt(store, p, name, config, desc, newest, false)));
    }

    /**
     * Opens a read-only view of the volume as of checkpoint {@code seq} (0: empty): a snapshot. Writes fail with
     * {@link ReadOnlyVolumeException}; a flush has nothing to do and succeeds.
     */
    public static CompletableFuture<Volume> openReadOnlyAt(ObjectStore store, String prefix, String name, VolumeConfig config, long seq) {
        String p = SegmentKeys.normalizePrefix(prefix);
        return descriptor(store, p).thenCompose(desc -> openAt(store, p, name, config, desc, seq, true));
    }

    private static CompletableFuture<VolumeDescriptor> descriptor(ObjectStore store, String p) {
        String descriptorKey = SegmentKeys.descriptor(p);
        return store.get(descriptorKey, ByteRange.all()).thenApply(d -> VolumeDescriptor.decode(descriptorKey, d.data()));
    }

    private static CompletableFuture<Volume> openAt(ObjectStore store, String p, String name, VolumeConfig config,
            VolumeDescriptor desc, long seq, boolean snapshotView) {
        ScheduledThreadPoolExecutor executor = newExecutor(name);
        VolumeIndex vi = new VolumeIndex(store, p, NodeLimits.ofNodeBytes(desc.maxNodeBytes()), config.nodeCacheBytes(), executor);
        if (seq == 0) {
            return CompletableFuture.completedFuture(new Volume(name, p, store, desc, config, executor, vi,
                    vi.empty(), desc.sizeBytes(), 0, snapshotView));
        }
        SegmentReader reader = new SegmentReader(store, p, desc.blockSizeBytes());
        return reader.header(seq).thenCombine(reader.footer(seq), (h, f) -> {
            String key = SegmentKeys.segment(p, seq);
            if (!h.volumeId().equals(desc.volumeId()) || h.blockSizeBytes() != desc.blockSizeBytes() || h.seq() != seq) {
                throw new CorruptionException(key, 0, "segment belongs to volume " + h.volumeId() + " seq " + h.seq()
                        + ", expected volume " + desc.volumeId() + " seq " + seq);
            }
            return f;
        }).thenCompose(f -> vi.open(f.rootSeq() == 0 ? null : new NodePointer(f.rootSeq(), f.rootOffset(), f.rootLength()),
                f.height()).thenApply(idx -> new Volume(name, p, store, desc, config, executor, vi, idx,
                f.volumeSizeBytes(), seq, snapshotView))).whenComplete((v, e) -> {
                    if (e != null) {
                        executor.shutdown();
                    }
                });
    }

    private static ScheduledThreadPoolExecutor newExecutor(String name) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "hf-volume-" + name);
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return executor;
    }

    // ---------------------------------------------------------------- accessors

    public String name() {
        return name;
    }

    public long sizeBytes() {
        return sizeBytes;
    }

    public int blockSizeBytes() {
        return blockSize;
    }

    public VolumeDescriptor descriptor() {
        return descriptor;
    }

    /** Whether this is a read-only view of a checkpoint (a snapshot); corruption makes a volume read-only too. */
    public boolean isSnapshotView() {
        return snapshotView;
    }

    /** Counters since open. */
    public VolumeStats stats() {
        return new VolumeStats(segmentsWritten.get(), segmentBytesWritten.get(), indexNodesWritten.get(), readAheadBytes.get());
    }

    /** The newest durable segment seq (0 if none), as last seen; for tests and tools. */
    public CompletableFuture<Long> durableSeq() {
        return onVolume(() -> durableSeq);
    }

    // ---------------------------------------------------------------- I/O

    /** Reads {@code dst.remaining()} bytes at {@code offset} into {@code dst}. */
    public CompletableFuture<Void> read(long offset, ByteBuffer dst) {
        int length = dst.remaining();
        checkRange("read", offset, length);
        if (length == 0) {
            return CompletableFuture.completedFuture(null);
        }
        ReadPlan plan;
        lock.lock();
        try {
            checkReadable();
            plan = planRead(offset, dst.duplicate());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            unlock();
        }
        maybeReadAhead(offset, length, plan.index());
        CompletableFuture<Void> fetched;
        try {
            fetched = plan.fetch();
        } catch (RuntimeException e) {
            fetched = CompletableFuture.failedFuture(e);
        }
        if (fetched.isDone() && !fetched.isCompletedExceptionally()) {
            return fetched;
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        fetched.whenComplete((v, e) -> {
            if (e != null) {
                result.completeExceptionally(onReadFailure(e));
            } else {
                result.complete(null);
            }
        });
        return result;
    }

    /**
     * Sequential read-ahead: a read that starts where the previous one ended fetches up to
     * {@code read.ahead-bytes} beyond it (one window in flight at a time). Interleaved streams look random and get
     * none. The fetched bytes land in the store's cache, if it has one.
     */
    private void maybeReadAhead(long offset, int length, BlockIndex snapshot) {
        long window = config.readAheadBytes();
        long end = offset + length;
        if (window == 0 || lastReadEnd.getAndSet(end) != offset || end >= sizeBytes) {
            return;
        }
        long ahead = readAheadUpTo;
        long from = ahead >= end && ahead <= end + window ? ahead : end;
        long to = Math.min(sizeBytes, end + window);
        if (to - from < Math.min(window / 2, to - end) || to <= from || !readAheadBusy.compareAndSet(false, true)) {
            return;
        }
        readAheadUpTo = to;
        reads.prefetch(snapshot, from / blockSize, (to + blockSize - 1) / blockSize).whenComplete((bytes, e) -> {
            readAheadBusy.set(false);
            if (bytes != null) {
                readAheadBytes.addAndGet(bytes);
            }
        });
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

    /** Completes once every write completed before this call is durable. */
    public CompletableFuture<Void> flush() {
        CompletableFuture<Void> result = new CompletableFuture<>();
        run(result, () -> {
            if (snapshotView) {
                complete(result, null);
                return;
            }
            checkWritable();
            flushInto(result);
        });
        return result;
    }

    /** Allocation state of the range: runs of DATA, ZERO and HOLE covering it exactly, in order. */
    public CompletableFuture<List<BlockStatusRun>> blockStatus(long offset, long length) {
        checkRange("block status", offset, length);
        CompletableFuture<List<BlockStatusRun>> result = new CompletableFuture<>();
        if (length == 0) {
            result.complete(List.of());
            return result;
        }
        List<Piece> pieces;
        BlockIndex snapshot;
        lock.lock();
        try {
            checkReadable();
            pieces = overlay(offset / blockSize, (offset + length + blockSize - 1) / blockSize);
            snapshot = index;
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            unlock();
        }
        reads.blockStatus(snapshot, pieces, offset, length).whenComplete((runs, e) -> {
            if (e != null) {
                result.completeExceptionally(onReadFailure(e));
            } else {
                result.complete(runs);
            }
        });
        return result;
    }

    /** Flushes, then stops: later calls fail with {@link VolumeClosedException}. */
    public CompletableFuture<Void> close() {
        CompletableFuture<Void> flushed = new CompletableFuture<>();
        lock.lock();
        try {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            if (fatal != null) {
                flushed.completeExceptionally(fatal);
            } else {
                flushInto(flushed);
            }
        } finally {
            unlock();
        }
        return flushed.handle((v, e) -> {
            long hint;
            lock.lock();
            try {
                if (closed) {
                    return CompletableFuture.<Void>completedFuture(null);
                }
                hint = durableSeq;
                shutDown(new VolumeClosedException("volume " + name + " is closed"));
            } finally {
                unlock();
            }
            CompletableFuture<Void> hinted = hint > 0 && e == null
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
        aborted = true;
        boolean insideVolume = lock.isHeldByCurrentThread() || Thread.currentThread().getName().equals("hf-volume-" + name);
        locked(() -> shutDown(new VolumeClosedException("volume " + name + " was aborted")));
        executor.shutdown();
        if (!insideVolume) {
            try {
                executor.awaitTermination(30, TimeUnit.SECONDS);
                // A request already sent lands or not; either way it settles before whoever reopens looks.
                storeWriteInFlight.handle((v, e) -> null).get(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                LOG.warn("volume {}: a store write was still running after abort: {}", name, e.toString());
            }
        }
    }

    @Override
    public String toString() {
        return "Volume[" + name + " at " + prefix + "]";
    }

    // ---------------------------------------------------------------- mutations (under the lock)

    private CompletableFuture<Void> enqueue(Mutation m) {
        if (m.kind == Mutation.Kind.WRITE) {
            checkRange("write", m.offset, m.length);
        } else {
            checkRange(m.kind == Mutation.Kind.ZERO ? "write zeroes" : "trim", m.offset, m.length);
        }
        if (m.length == 0) {
            return CompletableFuture.completedFuture(null);
        }
        run(m.future, () -> {
            checkWritable();
            queue.add(m);
            drain();
        });
        return m.future;
    }

    private void drain() {
        if (draining) {
            return;
        }
        draining = true;
        try {
            while (!queue.isEmpty()) {
                Mutation m = queue.peekFirst();
                if (fatal != null || readOnlyCause != null || closed) {
                    queue.pollFirst();
                    fail(m.future, writeRefusal());
                    continue;
                }
                if (m.blocker != null && !m.blocker.isDone()) {
                    return; // still waiting; its completion drains again
                }
                CompletableFuture<?> blocker;
                try {
                    if (m.error != null) {
                        throw m.error;
                    }
                    blocker = apply(m);
                } catch (Throwable t) {
                    queue.pollFirst();
                    fail(m.future, onReadFailure(t));
                    continue;
                }
                m.blocker = blocker;
                if (blocker != null) {
                    blocker.whenCompleteAsync((x, e) -> locked(() -> {
                        if (e != null) {
                            m.error = Exceptions.unwrap(e);
                        }
                        drain();
                    }), executor);
                    return;
                }
                queue.pollFirst();
                if (m.durable) {
                    flushInto(m.future);
                } else {
                    complete(m.future, null);
                }
            }
        } finally {
            draining = false;
        }
    }

    /** Applies as much of {@code m} as it can; returns null when done, or what it waits for. */
    private CompletableFuture<?> apply(Mutation m) {
        long firstBlock = m.offset / blockSize;
        long endByte = m.offset + m.length;
        long lastBlock = (endByte - 1) / blockSize;
        if (m.nextBlock < 0) {
            m.nextBlock = firstBlock;
        }
        if (m.kind != Mutation.Kind.WRITE && !m.rangeDone) {
            long fullStart = (m.offset + blockSize - 1) / blockSize;
            long fullEnd = endByte / blockSize;
            if (fullEnd > fullStart) {
                CompletableFuture<?> wait = ensureBuilder(-1);
                if (wait != null) {
                    return wait;
                }
                open.writeRange(fullStart, fullEnd - fullStart,
                        m.kind == Mutation.Kind.ZERO ? ExtentKind.ZERO : ExtentKind.HOLE, System.nanoTime());
            }
            m.rangeDone = true;
            if (m.kind == Mutation.Kind.TRIM) {
                return null;
            }
        }
        for (long b = m.nextBlock; b <= lastBlock; b = m.nextBlock) {
            long blockStart = b * blockSize;
            int from = (int) Math.max(0, m.offset - blockStart);
            int to = (int) Math.min(blockSize, endByte - blockStart);
            boolean whole = from == 0 && to == blockSize;
            if (m.kind == Mutation.Kind.ZERO && whole) {
                m.nextBlock = b < lastBlock ? lastBlock : b + 1; // whole blocks are covered by the range
                continue;
            }
            CompletableFuture<?> wait = ensureBuilder(b);
            if (wait != null) {
                return wait;
            }
            if (whole) {
                open.writeBlock(b, m.source.duplicate().position((int) (m.source.position() + blockStart - m.offset)), System.nanoTime());
            } else {
                ByteBuffer old = m.oldBlocks.get(b);
                if (old == null) {
                    old = ByteBuffer.allocate(blockSize);
                    CompletableFuture<Void> fetched = readInto(blockStart, old.duplicate());
                    m.oldBlocks.put(b, old);
                    if (!fetched.isDone() || fetched.isCompletedExceptionally()) {
                        return fetched;
                    }
                }
                ByteBuffer merged = ByteBuffer.allocate(blockSize);
                merged.put(0, old, 0, blockSize);
                if (m.kind == Mutation.Kind.WRITE) {
                    merged.put(from, m.source, (int) (m.source.position() + blockStart + from - m.offset), to - from);
                } else {
                    merged.put(from, zeroBlock, 0, to - from);
                }
                open.writeBlock(b, merged, System.nanoTime());
                m.oldBlocks.remove(b);
            }
            m.nextBlock = b + 1;
        }
        return null;
    }

    /**
     * Makes sure an open builder can take block {@code blockNo} (-1: any range record). Returns null when it can,
     * or the buffer it waits for.
     */
    private CompletableFuture<?> ensureBuilder(long blockNo) {
        if (open != null && (blockNo < 0 || open.hasRoomFor(1) || open.slotOf(blockNo) >= 0)) {
            return null;
        }
        if (open != null) {
            seal();
        }
        if (pendingBuffer == null) {
            pendingBuffer = pool.acquire();
        }
        if (!pendingBuffer.isDone()) {
            return pendingBuffer;
        }
        ByteBuffer memory = pendingBuffer.join();
        pendingBuffer = null;
        open = new SegmentBuilder(memory, blockSize, maxBlocksPerSegment, nextSeq++, descriptor.volumeId(), writerId, zeroBlock);
        return null;
    }

    // ---------------------------------------------------------------- reads (buffers under the lock, then any thread)

    /** Fills {@code dst} (position to limit) with the bytes at {@code offset}: buffers first, then the store. */
    private CompletableFuture<Void> readInto(long offset, ByteBuffer dst) {
        return planRead(offset, dst).fetch();
    }

    /** The part of a read left to the index once the buffers were copied: runs without the lock. */
    private record ReadPlan(VolumeReads reads, BlockIndex index, List<Piece> fromIndex, long offset, int length,
            ByteBuffer dst, int base) {
        CompletableFuture<Void> fetch() {
            if (fromIndex.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            return reads.readFromIndex(index, fromIndex, offset, length, dst, base);
        }
    }

    /** Copies what the write buffers hold of the read into {@code dst} and returns the rest of the work (under the lock). */
    private ReadPlan planRead(long offset, ByteBuffer dst) {
        int length = dst.remaining();
        int base = dst.position();
        long first = offset / blockSize;
        long end = (offset + length + blockSize - 1) / blockSize;
        List<Piece> pieces = overlay(first, end);
        List<Piece> fromIndex = new ArrayList<>();
        for (Piece p : pieces) {
            if (p.builder() == null && p.kind() == null) {
                fromIndex.add(p);
            } else if (p.kind() == ExtentKind.DATA) {
                for (long b = p.startBlock(); b < p.endBlock(); b++) {
                    long lo = Math.max(b * blockSize, offset);
                    long hi = Math.min((b + 1) * blockSize, offset + length);
                    p.builder().copyTo(p.slot() + (int) (b - p.startBlock()), (int) (lo - b * blockSize), dst,
                            base + (int) (lo - offset), (int) (hi - lo));
                }
            } else {
                VolumeReads.zero(dst, base, offset, length, p.startBlock() * blockSize, p.endBlock() * blockSize);
            }
        }
        return new ReadPlan(reads, index, fromIndex, offset, length, dst, base);
    }

    /** A piece of a block range: from a buffer (DATA in a builder's slots, or ZERO/HOLE), or, with no builder and no kind, from the index. */
    record Piece(long startBlock, long endBlock, ExtentKind kind, SegmentBuilder builder, int slot) {
    }

    /** What the write buffers (newest first) say about blocks {@code [first, end)}; gaps are left to the index. */
    private List<Piece> overlay(long first, long end) {
        List<Piece> pieces = new ArrayList<>();
        pieces.add(new Piece(first, end, null, null, -1));
        List<SegmentBuilder> builders = new ArrayList<>(pending.size() + 1);
        if (open != null) {
            builders.add(open);
        }
        pending.descendingIterator().forEachRemaining(ps -> builders.add(ps.builder));
        for (SegmentBuilder builder : builders) {
            List<Piece> next = new ArrayList<>(pieces.size());
            for (Piece p : pieces) {
                if (p.builder() != null || p.kind() != null) {
                    next.add(p);
                    continue;
                }
                long cursor = p.startBlock();
                for (SegmentBuilder.Claim c : builder.claims(p.startBlock(), p.endBlock())) {
                    if (c.startBlock() > cursor) {
                        next.add(new Piece(cursor, c.startBlock(), null, null, -1));
                    }
                    next.add(new Piece(c.startBlock(), c.endBlock(), c.kind(), builder, c.slot()));
                    cursor = c.endBlock();
                }
                if (cursor < p.endBlock()) {
                    next.add(new Piece(cursor, p.endBlock(), null, null, -1));
                }
            }
            pieces = next;
        }
        return pieces;
    }

    // ---------------------------------------------------------------- flush pipeline (under the lock)

    /**
     * Makes {@code result} complete once everything written so far is durable. Group commit: while an earlier
     * segment is still on its way, the open builder is not sealed at once but as soon as the pipeline is empty, so
     * the writes (and flushes) that arrive meanwhile share its one PUT.
     */
    private void flushInto(CompletableFuture<Void> result) {
        if (fatal != null) {
            fail(result, fatal);
            return;
        }
        long target;
        if (open != null && !open.isEmpty()) {
            target = open.seq();
            if (pending.isEmpty()) {
                seal();
            } else {
                sealWhenIdle = target;
            }
        } else {
            target = pending.isEmpty() ? durableSeq : pending.peekLast().seq();
        }
        if (target <= durableSeq) {
            complete(result, null);
            return;
        }
        uploadFailure = null; // a flush retries a failed upload at once
        flushWaiters.computeIfAbsent(target, k -> new ArrayList<>()).add(result);
        advance();
    }

    /** Seals the open builder, if it holds anything, and moves the pipeline on. */
    private void seal() {
        if (open == null || open.isEmpty()) {
            return;
        }
        SegmentBuilder b = open;
        open = null;
        pending.add(new PendingSegment(b, b.seal()));
        advance();
    }

    /** Moves the pipeline on: seal a builder a flush waits for, index the next sealed segment, upload the next finished one. */
    private void advance() {
        if (fatal != null || closed) {
            return;
        }
        if (sealWhenIdle >= 0 && pending.isEmpty()) {
            long wanted = sealWhenIdle;
            sealWhenIdle = -1;
            if (open != null && open.seq() == wanted && !open.isEmpty()) {
                seal(); // calls back here with a pending segment
                return;
            }
        }
        if (!indexing) {
            for (PendingSegment ps : pending) {
                if (ps.bytes == null) {
                    indexSegment(ps);
                    break;
                }
            }
        }
        PendingSegment head = pending.peekFirst();
        if (!uploading && uploadFailure == null && head != null && head.bytes != null) {
            upload(head);
        }
    }

    /**
     * Applies a sealed segment's changes to the index and finishes the segment, on the volume thread but without the
     * lock: the inputs (the previous index, the records, the sealed slots) no longer change, and the builder only
     * appends behind its slots, which concurrent readers never look at.
     */
    private void indexSegment(PendingSegment ps) {
        indexing = true;
        BlockIndex base = index;
        CompletableFuture<Finished> finished;
        try {
            finished = CompletableFuture.supplyAsync(() -> null, executor)
                    .thenCompose(x -> volumeIndex.apply(base, ps.seq(), ps.records))
                    .thenApply(mutable -> finish(ps, mutable));
        } catch (RejectedExecutionException e) {
            return; // closed
        }
        finished.whenCompleteAsync((f, e) -> locked(() -> {
            indexing = false;
            if (closed || fatal != null) {
                return;
            }
            if (e != null) {
                becomeReadOnly(Exceptions.unwrap(e));
                failWaiters(readOnlyCause);
                return;
            }
            ps.bytes = f.bytes();
            indexNodesWritten.addAndGet(f.nodesWritten());
            index = f.index();
            advance();
        }), executor);
    }

    private record Finished(ByteBuffer bytes, BlockIndex index, int nodesWritten) {
    }

    private Finished finish(PendingSegment ps, MutableBlockIndex mutable) {
        VolumeIndex.Saved saved = volumeIndex.save(mutable, ps.seq(), ps.builder);
        BlockIndex next = saved.index();
        NodePointer root = next.rootPointer();
        long createdMillis = config.clock().millis();
        ByteBuffer bytes = ps.builder.finish(ps.records, (dataOffset, dataBlocks, nodeOffset, nodeLength, tableOffset,
                tableLength, headerCrc, blockCrcsCrc, nodeCrc, tableCrc) -> new SegmentFooter(ps.seq(), sizeBytes,
                dataOffset, dataBlocks, nodeOffset, nodeLength, tableOffset, tableLength,
                root == null ? 0 : root.segmentSeq(), root == null ? 0 : root.offset(), root == null ? 0 : root.length(),
                next.height(), next.stats().extentCount(), next.stats().mappedBlocks(), createdMillis,
                headerCrc, blockCrcsCrc, nodeCrc, tableCrc));
        return new Finished(bytes, next, saved.nodesWritten());
    }

    private void upload(PendingSegment ps) {
        if (aborted) {
            return;
        }
        uploading = true;
        String key = SegmentKeys.segment(prefix, ps.seq());
        int bytes = ps.bytes.remaining();
        CompletableFuture<Void> create;
        try {
            create = store.create(key, ps.bytes.duplicate());
        } catch (RuntimeException | Error e) {
            create = CompletableFuture.failedFuture(e);
        }
        storeWriteInFlight = create;
        create.whenCompleteAsync((v, e) -> locked(() -> {
            uploading = false;
            if (closed) {
                return;
            }
            if (e == null) {
                pending.pollFirst();
                durableSeq = ps.seq();
                segmentsWritten.incrementAndGet();
                segmentBytesWritten.addAndGet(bytes);
                pool.release(ps.builder.memory());
                completeWaiters();
                maybeWriteHint();
                advance();
                drain();
                return;
            }
            Throwable cause = Exceptions.unwrap(e);
            if (cause instanceof ObjectExistsException) {
                fence(key, cause);
                return;
            }
            LOG.warn("volume {}: upload of {} failed; flushes fail until it succeeds: {}", name, key, cause.toString());
            uploadFailure = cause;
            uploadFailedNanos = System.nanoTime();
            failWaiters(cause);
        }), executor);
    }

    private void completeWaiters() {
        while (!flushWaiters.isEmpty() && flushWaiters.firstKey() <= durableSeq) {
            flushWaiters.pollFirstEntry().getValue().forEach(f -> complete(f, null));
        }
    }

    private void failWaiters(Throwable cause) {
        for (Map.Entry<Long, List<CompletableFuture<Void>>> e : flushWaiters.entrySet()) {
            e.getValue().forEach(f -> fail(f, cause));
        }
        flushWaiters.clear();
    }

    private void maybeWriteHint() {
        if (aborted || ++segmentsSinceHint < config.hintEverySegments()) {
            return;
        }
        segmentsSinceHint = 0;
        long seq = durableSeq;
        CompletableFuture<Void> hint = CheckpointLocator.writeHint(store, prefix, seq);
        storeWriteInFlight = storeWriteInFlight.thenCombine(hint.handle((v, e) -> null), (a, b) -> null);
        hint.whenComplete((v, e) -> {
            if (e != null) {
                LOG.debug("volume {}: could not write hint {}: {}", name, seq, e.toString());
            }
        });
    }

    private void fence(String key, Throwable cause) {
        fatal = new VolumeFencedException("volume " + name + " has been taken over by another writer: " + key
                + " already exists; this instance stopped writing and must be reopened", cause);
        LOG.error(fatal.getMessage());
        failWaiters(fatal);
        pool.failWaiters(fatal);
        drain();
    }

    private void becomeReadOnly(Throwable cause) {
        if (readOnlyCause == null) {
            readOnlyCause = new ReadOnlyVolumeException("volume " + name + " switched to read-only after an error: " + cause.getMessage(), cause);
            LOG.error(readOnlyCause.getMessage(), cause);
            pool.failWaiters(readOnlyCause);
        }
    }

    private Throwable onReadFailure(Throwable e) {
        Throwable cause = Exceptions.unwrap(e);
        if (cause instanceof CorruptionException) {
            locked(() -> becomeReadOnly(cause));
        }
        return cause;
    }

    private void tick() {
        if (closed || fatal != null) {
            return;
        }
        long now = System.nanoTime();
        if (open != null && !open.isEmpty() && now - open.firstChangeNanos() >= config.flushAge().toNanos()) {
            seal();
        }
        if (uploadFailure != null && now - uploadFailedNanos >= config.uploadRetry().toNanos()) {
            uploadFailure = null;
            advance();
        }
    }

    private void shutDown(RuntimeException reason) {
        if (closed) {
            return;
        }
        closed = true;
        failWaiters(reason);
        pool.failWaiters(reason);
        pool.retire();
        Mutation m;
        while ((m = queue.pollFirst()) != null) {
            fail(m.future, reason);
        }
        executor.shutdown();
    }

    // ---------------------------------------------------------------- helpers

    private RuntimeException writeRefusal() {
        if (fatal != null) {
            return fatal;
        }
        if (closed) {
            return new VolumeClosedException("volume " + name + " is closed");
        }
        return readOnlyCause;
    }

    private void checkWritable() {
        if (closed || fatal != null || readOnlyCause != null) {
            throw writeRefusal();
        }
    }

    private void checkReadable() {
        if (closed) {
            throw new VolumeClosedException("volume " + name + " is closed");
        }
        if (fatal != null) {
            throw fatal;
        }
    }

    private void checkRange(String what, long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > sizeBytes || offset + length < 0) {
            throw new OutOfRangeException(what + " of " + length + " bytes at offset " + offset
                    + " is outside volume " + name + " of " + sizeBytes + " bytes");
        }
    }

    /** Runs {@code task} under the lock on the calling thread; if it throws, or the volume is closed, fails {@code result}. */
    private void run(CompletableFuture<?> result, Runnable task) {
        lock.lock();
        try {
            if (closed) {
                fail(result, new VolumeClosedException("volume " + name + " is closed"));
                return;
            }
            task.run();
        } catch (RuntimeException | Error e) {
            fail(result, e);
        } finally {
            unlock();
        }
    }

    private void locked(Runnable task) {
        lock.lock();
        try {
            task.run();
        } finally {
            unlock();
        }
    }

    /**
     * Releases the lock; the outermost holder then runs the completions deferred under it, so that callbacks of
     * the volume's futures never run under the lock (they may call back into the volume, or do I/O).
     */
    private void unlock() {
        if (lock.getHoldCount() > 1 || deferred.isEmpty()) {
            lock.unlock();
            return;
        }
        Runnable[] todo = deferred.toArray(new Runnable[0]);
        deferred.clear();
        lock.unlock();
        for (Runnable r : todo) {
            try {
                r.run();
            } catch (RuntimeException | Error e) {
                LOG.warn("volume {}: a completion callback threw", name, e);
            }
        }
    }

    private <T> void complete(CompletableFuture<T> f, T value) {
        deferred.add(() -> f.complete(value));
    }

    private void fail(CompletableFuture<?> f, Throwable cause) {
        deferred.add(() -> f.completeExceptionally(cause));
    }

    private <T> CompletableFuture<T> onVolume(java.util.function.Supplier<T> value) {
        CompletableFuture<T> result = new CompletableFuture<>();
        run(result, () -> complete(result, value.get()));
        return result;
    }
}
