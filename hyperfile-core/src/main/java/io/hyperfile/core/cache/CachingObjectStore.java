package io.hyperfile.core.cache;

import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ListPage;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.StoreCapabilities;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ObjectStore} that keeps ranged reads of segment objects in a persistent local cache
 * ({@link ChunkCache}); callers see an ordinary store. It sits above {@link io.hyperfile.core.store.RetryingObjectStore}.
 *
 * <p>What is cached: {@link ByteRange#of span} GETs of segment keys {@code <prefix>seg/<20 digits>}, in aligned
 * chunks of {@link CacheConfig#chunkSizeBytes()} keyed by (prefix, seq, chunk index). Everything else (other keys,
 * suffix and whole-object reads, writes, listings) passes through unchanged.
 *
 * <p>Which object: one key can name different objects over time (a volume rolled back and written again, or
 * restored from a backup) and two volumes can share a volume id (a copy). So every cached chunk records the
 * {@link SegmentIdentity} of its object (the header's writer id and the object size), and a chunk is served only if
 * that is the identity this process knows for its key ({@link SegmentIdentities}): learned by writing or fetching
 * the segment here, or else checked with one GET of the segment's 64-byte header before the first hit. If that check
 * cannot be made, the read goes to the store; cached bytes are never served unchecked.
 *
 * <p>A read that misses fetches the chunks it lacks with one ranged GET, answers at once, and hands the chunks to
 * the cache writer thread; concurrent misses of one chunk share one GET. A successful {@code create}/{@code put} of a
 * segment is written through the same way. Cache writes never delay a caller: when more than
 * {@link CacheConfig#maxPendingInsertBytes()} wait, new ones are dropped.
 *
 * <p>Nothing the cache does can fail a read: a checksum mismatch, a short or failed local read, a vanished
 * directory is a miss and the store answers. The cache opens on a background thread (Chronicle Map compiles code
 * on first use); until it is {@link CacheState#READY} every read passes through. If the directory is unusable,
 * locked by another process, or deleted while running, the cache is {@link CacheState#DISABLED} until restart.
 *
 * <p>Thread-safe. Threads: a read of at most {@value #MAX_INLINE_READ_BYTES} bytes that is wholly cached, with
 * its pages in memory (checked with mincore, so it never waits for the disk), completes on the caller's thread
 * before {@code get} returns; other reads hop to {@code hf-cache-read-<n>}, which read and verify cached pieces and
 * complete hits;
 * {@code hf-cache-write-1} opens the cache and performs inserts and evictions. Misses complete on the wrapped
 * store's threads. Buffers: as {@link ObjectStore} says; a returned buffer is the caller's own copy.
 */
public final class CachingObjectStore implements ObjectStore {
    private static final Logger LOG = LoggerFactory.getLogger(CachingObjectStore.class);
    /** Reads longer than this pass through (NBD's largest request is 32 MiB). */
    static final long MAX_CACHED_READ_BYTES = 64L << 20;
    /**
     * Reads up to this long are answered on the caller's thread when every byte they need is cached and in the page
     * cache (checked with mincore first, so the caller never waits for the disk); others hop to the read pool.
     */
    static final int MAX_INLINE_READ_BYTES = 64 << 10;
    private static final int MAX_REMEMBERED_PREFIXES = 4096;

    private final ObjectStore delegate;
    private final CacheConfig config;
    private final int chunkSizeBytes;
    private final CacheCounters counters = new CacheCounters();
    private final SegmentIdentities identities;
    /** The cache key's id of each volume prefix seen (a hash, remembered to keep it off the hot path). */
    private final ConcurrentHashMap<String, UUID> prefixIds = new ConcurrentHashMap<>();
    private final ExecutorService readPool;
    private final ExecutorService writer;
    private final InsertQueue inserts;
    private final CachedReader reader;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<CacheState> opened = new CompletableFuture<>();
    private final Object lifecycle = new Object();
    /** The cache while READY, else null. */
    private volatile ChunkCache cache;
    private volatile CacheState state = CacheState.OPENING;
    /** The cache to close at the end (guarded by lifecycle). */
    private ChunkCache owned;

    /** Wraps {@code delegate} and starts opening the cache in the background; returns at once. */
    public CachingObjectStore(ObjectStore delegate, CacheConfig config) {
        if (delegate == null || config == null) {
            throw new IllegalArgumentException("delegate and config must not be null");
        }
        this.delegate = delegate;
        this.config = config;
        this.chunkSizeBytes = config.chunkSizeBytes();
        this.identities = new SegmentIdentities(delegate, counters);
        this.readPool = Executors.newFixedThreadPool(config.readThreads(), threads("hf-cache-read-"));
        this.writer = Executors.newSingleThreadExecutor(threads("hf-cache-write-"));
        this.inserts = new InsertQueue(writer, config, counters, identities, () -> cache, this::checkHealth);
        this.reader = new CachedReader(delegate, readPool, chunkSizeBytes, counters, identities, inserts, this::checkHealth);
        writer.execute(this::openCache);
    }

    /** Completes with READY or DISABLED when opening has finished (CLOSED if closed first). */
    public CompletableFuture<CacheState> opened() {
        return opened.copy();
    }

    public CacheState state() {
        return state;
    }

    public CacheConfig config() {
        return config;
    }

    /** The counters now. */
    public CacheStats stats() {
        ChunkCache c = cache;
        long entries = 0;
        if (c != null) {
            try {
                entries = c.entries();
            } catch (RuntimeException e) {
                entries = -1;
            }
        }
        return counters.snapshot(entries, state);
    }

    /** Copy arrays the insert queue keeps for written-through segments (for tests). */
    int insertQueueKeptCopies() {
        return inserts.keptCopyArrays();
    }

    /** Bytes of the smallest copy array the insert queue keeps, or -1 (for tests). */
    int insertQueueSmallestKeptCopy() {
        return inserts.smallestKeptCopy();
    }

    /** Completes once every cache insert queued before this call has been written or dropped. */
    public CompletableFuture<Void> drainInserts() {
        return inserts.drain();
    }

    @Override
    public StoreCapabilities capabilities() {
        return delegate.capabilities();
    }

    @Override
    public CompletableFuture<ObjectData> get(String key, ByteRange range) {
        ChunkCache c = cache;
        SegmentName segment = c == null ? null : SegmentName.parse(key);
        if (segment == null || !(range instanceof ByteRange.Span span) || span.length() > MAX_CACHED_READ_BYTES) {
            return bypass(key, range);
        }
        return reader.read(c, new SegmentRef(key, segment, prefixId(segment.prefix())), span);
    }

    @Override
    public CompletableFuture<Void> put(String key, ByteBuffer data) {
        return writeThrough(key, data, delegate.put(key, data), true);
    }

    @Override
    public CompletableFuture<Void> create(String key, ByteBuffer data) {
        return writeThrough(key, data, delegate.create(key, data), false);
    }

    @Override
    public CompletableFuture<ObjectInfo> head(String key) {
        return delegate.head(key);
    }

    @Override
    public CompletableFuture<ListPage> list(String prefix, String startAfter, int maxKeys) {
        return delegate.list(prefix, startAfter, maxKeys);
    }

    /** Deletes the object; a deleted segment is checked against the store again before its chunks are served. */
    @Override
    public CompletableFuture<Void> delete(String key) {
        SegmentName segment = SegmentName.parse(key);
        if (segment == null) {
            return delegate.delete(key);
        }
        identities.forget(segment);
        CompletableFuture<Void> f = delegate.delete(key);
        f.whenComplete((v, e) -> identities.forget(segment));
        return f;
    }

    @Override
    public CompletableFuture<Void> deleteAll(Collection<String> keys) {
        List<SegmentName> segments = new ArrayList<>();
        if (keys != null) {
            for (String key : keys) {
                SegmentName segment = key == null ? null : SegmentName.parse(key);
                if (segment != null) {
                    segments.add(segment);
                    identities.forget(segment);
                }
            }
        }
        CompletableFuture<Void> f = delegate.deleteAll(keys);
        if (!segments.isEmpty()) {
            f.whenComplete((v, e) -> segments.forEach(identities::forget));
        }
        return f;
    }

    /**
     * Closes the cache (waiting for it to finish opening, and for the insert in progress; queued inserts are
     * dropped), then the wrapped store.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        CacheStats last = stats();
        synchronized (lifecycle) {
            state = CacheState.CLOSED;
            cache = null;
        }
        readPool.shutdown();
        awaitTermination(readPool, "read");
        try {
            writer.execute(() -> {
                ChunkCache c;
                synchronized (lifecycle) {
                    c = owned;
                    owned = null;
                }
                if (c != null) {
                    c.close();
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.debug("cache writer already stopped");
        }
        writer.shutdown();
        awaitTermination(writer, "write");
        opened.complete(CacheState.CLOSED);
        LOG.info("local read cache {} closed; {}", config.directory(), last);
        delegate.close();
    }

    @Override
    public String toString() {
        return "Caching[" + delegate + ", " + config.directory() + "]";
    }

    private CompletableFuture<ObjectData> bypass(String key, ByteRange range) {
        return reader.bypass(key, range);
    }

    private UUID prefixId(String prefix) {
        UUID id = prefixIds.get(prefix);
        if (id == null) {
            id = ChunkKey.prefixId(prefix);
            if (prefixIds.size() < MAX_REMEMBERED_PREFIXES) {
                prefixIds.putIfAbsent(prefix, id);
            }
        }
        return id;
    }

    private CompletableFuture<Void> writeThrough(String key, ByteBuffer data, CompletableFuture<Void> write, boolean replace) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        write.whenComplete((v, failure) -> {
            if (failure != null) {
                result.completeExceptionally(failure);
                return;
            }
            try {
                afterWrite(key, data, replace);
            } catch (RuntimeException e) {
                LOG.debug("write-through of {} skipped: {}", key, e.toString());
            }
            result.complete(v);
        });
        return result;
    }

    /**
     * A segment was written: this process now knows which object its key names. Copies its bytes (the caller may
     * reuse its buffer) for the cache.
     */
    private void afterWrite(String key, ByteBuffer data, boolean replace) {
        SegmentName segment = SegmentName.parse(key);
        if (segment == null) {
            return;
        }
        int size = data.remaining();
        SegmentIdentity id = SegmentIdentity.of(key, segment.seq(), data, size);
        if (id == null) {
            identities.forget(segment); // not a segment the cache can vouch for
            return;
        }
        identities.learn(segment, id);
        CacheState s = state;
        if (s == CacheState.READY || s == CacheState.OPENING) {
            inserts.writtenThrough(new SegmentRef(key, segment, prefixId(segment.prefix())), id, data, replace);
        }
    }

    /** Whether {@code c} is still usable; disables the cache (once) if its directory has gone. */
    private boolean checkHealth(ChunkCache c) {
        if (c.isIntact()) {
            return true;
        }
        synchronized (lifecycle) {
            if (state != CacheState.READY || cache != c) {
                return false;
            }
            state = CacheState.DISABLED;
            cache = null;
        }
        LOG.warn("local read cache {} was deleted or replaced while in use; reads go to the store until restart",
                config.directory());
        c.detach();
        return false;
    }

    private void openCache() {
        long started = System.nanoTime();
        ChunkCache c;
        try {
            c = ChunkCache.open(config, counters);
        } catch (Exception | LinkageError | AssertionError e) {
            LOG.warn("local read cache {} is unusable, running without it: {}", config.directory(), e.toString());
            synchronized (lifecycle) {
                if (state == CacheState.OPENING) {
                    state = CacheState.DISABLED;
                }
            }
            opened.complete(state);
            return;
        }
        boolean ready;
        synchronized (lifecycle) {
            ready = state == CacheState.OPENING;
            if (ready) {
                owned = c;
                cache = c;
                state = CacheState.READY;
            }
        }
        if (!ready) {
            c.close();
        } else {
            LOG.info("local read cache {} ready: {} chunks of {} KiB cached, limit {} chunks ({} bytes), opened in {} ms",
                    config.directory(), c.entries(), chunkSizeBytes >> 10, config.slotCount(), config.sizeBytes(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }
        opened.complete(state);
    }

    private void awaitTermination(ExecutorService pool, String role) {
        try {
            if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("cache {} threads did not stop within 60 s", role);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
