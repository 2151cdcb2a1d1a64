package io.hyperfile.core.cache;

import io.hyperfile.core.crypto.ObjectEnvelope;
import io.hyperfile.core.segment.SegmentHeader;
import io.hyperfile.core.segment.SegmentRuns;
import io.hyperfile.core.store.ObjectData;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chunks on their way into the cache: written-through segments and fetched chunks, each labelled with the identity
 * of its object, written one batch at a time on the cache writer thread. Never holds up a caller: at most
 * {@link CacheConfig#maxPendingInsertBytes()} may wait (reserved before a chunk is queued, returned when it is written
 * or dropped); beyond that chunks are dropped and counted. Thread-safe; the inserts themselves run on the writer.
 */
final class InsertQueue {
    private static final Logger LOG = LoggerFactory.getLogger(InsertQueue.class);

    /** One chunk to cache: its key and bytes (position to limit). */
    record ChunkInsert(ChunkKey key, ByteBuffer bytes) {
    }

    private final Executor writer;
    private final CacheConfig config;
    private final int chunkSizeBytes;
    private final CacheCounters counters;
    private final SegmentIdentities identities;
    /** The cache while it is ready, else null. */
    private final Supplier<ChunkCache> current;
    /** Whether a cache is still usable (its directory still there); disables it if not. */
    private final Predicate<ChunkCache> healthy;
    private final AtomicLong pendingBytes = new AtomicLong();
    private final AtomicBoolean failureLogged = new AtomicBoolean();
    /**
     * Arrays that held written-through segments, kept for the next ones: a segment is copied (8 MiB at the default
     * size) before the caller reuses its buffer, and a new array each time was about as much garbage as data written
     * (a humongous object for G1 each time). At most {@value #KEPT_COPIES}, and never more than the insert budget.
     */
    private final ArrayDeque<byte[]> keptCopies = new ArrayDeque<>();
    static final int KEPT_COPIES = 4;
    /** Copy arrays are sized in steps of this, so that segments of slightly different sizes share them. */
    private static final int COPY_STEP_BYTES = 1 << 20;
    /** Fetched chunks waiting for their segment's identity; {@link #drain} waits for them. */
    private final Set<CompletableFuture<Void>> awaitingIdentity = ConcurrentHashMap.newKeySet();

    InsertQueue(Executor writer, CacheConfig config, CacheCounters counters, SegmentIdentities identities,
            Supplier<ChunkCache> current, Predicate<ChunkCache> healthy) {
        this.writer = writer;
        this.config = config;
        this.chunkSizeBytes = config.chunkSizeBytes();
        this.counters = counters;
        this.identities = identities;
        this.current = current;
        this.healthy = healthy;
    }

    /** Completes once every insert queued before this call has been written or dropped. */
    CompletableFuture<Void> drain() {
        CompletableFuture<?>[] waiting = awaitingIdentity.toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(waiting).handle((v, e) -> null).thenCompose(v -> {
            try {
                return CompletableFuture.runAsync(() -> { }, writer);
            } catch (RejectedExecutionException e) {
                return CompletableFuture.completedFuture(null);
            }
        });
    }

    /**
     * The store confirmed a write of {@code data} (position to limit), the object {@code identity} names, to
     * {@code ref}: copies it (the caller may reuse its buffer) and caches it chunk by chunk.
     */
    void writtenThrough(SegmentRef ref, SegmentIdentity identity, ByteBuffer data, boolean replace) {
        int size = data.remaining();
        int chunks = (size + chunkSizeBytes - 1) / chunkSizeBytes;
        boolean[] skip = sequentialChunks(ref, data, chunks);
        int kept = 0;
        int keptBytes = 0;
        for (int i = 0; i < chunks; i++) {
            if (!skip[i]) {
                kept++;
                keptBytes += Math.min(size, (i + 1) * chunkSizeBytes) - i * chunkSizeBytes;
            }
        }
        counters.writeThroughSkipped.add(chunks - kept);
        if (kept == 0 || !reserve(keptBytes, kept)) {
            return;
        }
        byte[] array = takeCopyArray(keptBytes, size);
        // Writable (only this queue reads it): checksums then read its array directly. Kept chunks only, packed.
        ByteBuffer copy = ByteBuffer.wrap(array, 0, keptBytes);
        List<ChunkInsert> inserts = new ArrayList<>(kept);
        for (int i = 0; i < chunks; i++) {
            if (skip[i]) {
                continue;
            }
            int from = i * chunkSizeBytes;
            int to = Math.min(size, from + chunkSizeBytes);
            int at = copy.position();
            copy.put(data.duplicate().position(data.position() + from).limit(data.position() + to));
            inserts.add(new ChunkInsert(ref.chunk(i), copy.duplicate().position(at).limit(at + to - from).slice()));
        }
        submit(inserts, identity, keptBytes, replace, array);
    }

    /**
     * Which chunks of a written segment hold only data of long runs ({@link CacheConfig#sequentialCutoffBytes()}),
     * so are not written through. None if the cutoff is 0 or the bytes are not a segment this build can lay out.
     */
    private boolean[] sequentialChunks(SegmentRef ref, ByteBuffer data, int chunks) {
        boolean[] skip = new boolean[chunks];
        if (config.sequentialCutoffBytes() == 0 || ObjectEnvelope.writeId(data) != null) {
            return skip; // an encrypted segment's layout is not readable here
        }
        long[] ranges;
        try {
            ranges = SegmentRuns.longRunRanges(ref.key(), ref.seq(), data, config.sequentialCutoffBytes());
        } catch (RuntimeException e) {
            LOG.debug("{}: written through whole, its runs are unknown: {}", ref.key(), e.toString());
            return skip;
        }
        for (int r = 0; r < ranges.length; r += 2) {
            // Chunks wholly inside [from, to): a chunk shared with the header, another run or the index stays cached.
            long first = (ranges[r] + chunkSizeBytes - 1) / chunkSizeBytes;
            long end = Math.min(chunks, ranges[r + 1] == data.remaining() ? chunks : ranges[r + 1] / chunkSizeBytes);
            for (long i = first; i < end; i++) {
                skip[(int) i] = true;
            }
        }
        return skip;
    }

    /**
     * An array of at least {@code need} bytes: a kept one if one is large enough, else a new one sized for the
     * whole segment of {@code objectSize} bytes (a segment with long runs needs less, and a small array kept after
     * it would fit no later segment that is cached whole).
     */
    private byte[] takeCopyArray(int need, int objectSize) {
        synchronized (keptCopies) {
            for (Iterator<byte[]> it = keptCopies.iterator(); it.hasNext(); ) {
                byte[] a = it.next();
                if (a.length >= need) {
                    it.remove();
                    return a;
                }
            }
        }
        long rounded = (objectSize + (long) COPY_STEP_BYTES - 1) / COPY_STEP_BYTES * COPY_STEP_BYTES;
        return new byte[(int) Math.min(Integer.MAX_VALUE - 8, Math.max(objectSize, rounded))];
    }

    /** Keeps {@code array} for a later segment, within the bounds; its chunks have all been cached or dropped. */
    private void keepCopyArray(byte[] array) {
        synchronized (keptCopies) {
            long kept = array.length;
            for (byte[] a : keptCopies) {
                kept += a.length;
            }
            if (keptCopies.size() < KEPT_COPIES && kept <= config.maxPendingInsertBytes()) {
                keptCopies.push(array);
            }
        }
    }

    /** Copy arrays kept now (for tests). */
    int keptCopyArrays() {
        synchronized (keptCopies) {
            return keptCopies.size();
        }
    }

    /** Bytes of the smallest copy array kept now, or -1 if none (for tests). */
    int smallestKeptCopy() {
        synchronized (keptCopies) {
            return keptCopies.stream().mapToInt(a -> a.length).min().orElse(-1);
        }
    }

    /**
     * Caches chunks fetched from {@code ref} by the GET that returned {@code d}, once the segment's identity is
     * known, and only if the fetch agrees with it (same object size; the same header if the fetch covered it). If it
     * does not, the store holds another object now than the one checked: the segment is checked again on its next
     * read, and the chunks are dropped.
     */
    void fetched(SegmentRef ref, CompletableFuture<SegmentIdentity> identity, ObjectData d, List<ChunkInsert> inserts) {
        long bytes = 0;
        for (ChunkInsert i : inserts) {
            bytes += i.bytes().remaining();
        }
        if (inserts.isEmpty() || current.get() == null || !reserve(bytes, inserts.size())) {
            return;
        }
        boolean coversHeader = d.offset() == 0 && d.length() >= SegmentHeader.BYTES;
        SegmentIdentity seen = coversHeader ? SegmentIdentity.of(ref.key(), ref.seq(), d.data(), d.objectSize()) : null;
        long reserved = bytes;
        CompletableFuture<Void> labelled = identity.thenAccept(id -> {
            if (id == null || id.objectSize() != d.objectSize() || (coversHeader && !id.equals(seen))) {
                if (id != null) {
                    LOG.debug("{} is no longer the object this process checked; checking it again", ref.key());
                    identities.distrust(ref.segment(), id);
                }
                pendingBytes.addAndGet(-reserved);
                return;
            }
            submit(inserts, id, reserved, false, null);
        });
        if (!labelled.isDone()) {
            awaitingIdentity.add(labelled);
            labelled.whenComplete((v, e) -> awaitingIdentity.remove(labelled));
        }
    }

    /** Takes {@code bytes} from the insert budget, or counts the chunks as dropped if the budget is spent. */
    private boolean reserve(long bytes, int chunks) {
        if (pendingBytes.addAndGet(bytes) > config.maxPendingInsertBytes()) {
            pendingBytes.addAndGet(-bytes);
            counters.insertsDropped.add(chunks);
            return false;
        }
        return true;
    }

    /**
     * Runs the inserts on the writer thread; {@code reserved} bytes go back to the budget when they are done, and
     * {@code copy} (the array the chunks are slices of, or null) is kept for the next written-through segment.
     */
    private void submit(List<ChunkInsert> inserts, SegmentIdentity identity, long reserved, boolean replace, byte[] copy) {
        try {
            writer.execute(() -> {
                try {
                    insertAll(inserts, identity, replace);
                } finally {
                    pendingBytes.addAndGet(-reserved);
                    if (copy != null) {
                        keepCopyArray(copy);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            pendingBytes.addAndGet(-reserved);
        }
    }

    private void insertAll(List<ChunkInsert> inserts, SegmentIdentity identity, boolean replace) {
        ChunkCache c = current.get();
        if (c == null || !healthy.test(c)) {
            return;
        }
        for (ChunkInsert i : inserts) {
            try {
                if (c.insert(i.key(), i.bytes(), identity, replace)) {
                    counters.inserts.increment();
                }
            } catch (Exception e) {
                counters.insertFailures.increment();
                if (failureLogged.compareAndSet(false, true)) {
                    LOG.warn("local read cache {}: could not cache a chunk ({}); further failures are logged at DEBUG",
                            config.directory(), e.toString());
                } else {
                    LOG.debug("local read cache {}: could not cache chunk {}: {}", config.directory(), i.key(), e.toString());
                }
                if (!healthy.test(c)) {
                    return;
                }
            }
        }
    }
}
