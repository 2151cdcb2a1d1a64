package io.hyperfile.core.cache;

import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.InvalidRangeException;
import io.hyperfile.core.store.ListPage;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.StoreCapabilities;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ObjectStore} that keeps ranged reads of segment objects in a persistent local cache
 * ({@link ChunkCache}); callers see an ordinary store. It sits above {@link io.hyperfile.core.store.RetryingObjectStore}.
 *
 * <p>What is cached: {@link ByteRange#of span} GETs of segment keys {@code <prefix>seg/<20 digits>}, in aligned
 * chunks of {@link CacheConfig#chunkSizeBytes()} keyed by (volume id, seq, chunk index). Segments are created once
 * and never changed, so entries never go stale; the volume id (read once per prefix from {@code <prefix>volume})
 * keeps a volume recreated under the same prefix from meeting its predecessor's chunks. Everything else (other
 * keys, suffix and whole-object reads, writes, listings) passes through unchanged.
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

    private final ObjectStore delegate;
    private final CacheConfig config;
    private final int chunkSizeBytes;
    private final CacheCounters counters = new CacheCounters();
    private final VolumeIds volumeIds;
    private final ExecutorService readPool;
    private final ExecutorService writer;
    private final ConcurrentHashMap<ChunkKey, CompletableFuture<CachedRead.Fetched>> inflight = new ConcurrentHashMap<>();
    private final AtomicLong pendingInsertBytes = new AtomicLong();
    private final AtomicBoolean insertFailureLogged = new AtomicBoolean();
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
        this.volumeIds = new VolumeIds(delegate);
        this.readPool = Executors.newFixedThreadPool(config.readThreads(), threads("hf-cache-read-"));
        this.writer = Executors.newSingleThreadExecutor(threads("hf-cache-write-"));
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

    /** Completes once every cache insert queued before this call has been written or dropped. */
    public CompletableFuture<Void> drainInserts() {
        try {
            return CompletableFuture.runAsync(() -> { }, writer);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(null);
        }
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
        CompletableFuture<UUID> volumeId = volumeIds.resolve(segment.prefix());
        if (span.length() <= MAX_INLINE_READ_BYTES && volumeId.isDone()) {
            UUID id = volumeId.join(); // never fails
            if (id == null) {
                return bypass(key, span);
            }
            ObjectData d = readInline(c, id, segment.seq(), span);
            if (d != null) {
                return CompletableFuture.completedFuture(d);
            }
        }
        CompletableFuture<ObjectData> result = new CompletableFuture<>();
        volumeId.thenCompose(id -> id == null ? bypass(key, span) : cachedGet(c, id, segment.seq(), key, span))
                .whenComplete((d, failure) -> {
                    if (failure != null) {
                        result.completeExceptionally(Exceptions.unwrap(failure));
                    } else {
                        result.complete(d);
                    }
                });
        return result;
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

    @Override
    public CompletableFuture<Void> delete(String key) {
        String prefix = SegmentName.descriptorPrefix(key);
        if (prefix == null) {
            return delegate.delete(key);
        }
        volumeIds.forget(prefix);
        CompletableFuture<Void> f = delegate.delete(key);
        f.whenComplete((v, e) -> volumeIds.forget(prefix));
        return f;
    }

    @Override
    public CompletableFuture<Void> deleteAll(Collection<String> keys) {
        List<String> prefixes = new ArrayList<>();
        if (keys != null) {
            for (String key : keys) {
                String prefix = key == null ? null : SegmentName.descriptorPrefix(key);
                if (prefix != null) {
                    prefixes.add(prefix);
                    volumeIds.forget(prefix);
                }
            }
        }
        CompletableFuture<Void> f = delegate.deleteAll(keys);
        if (!prefixes.isEmpty()) {
            f.whenComplete((v, e) -> prefixes.forEach(volumeIds::forget));
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
        counters.bypassed.increment();
        return delegate.get(key, range);
    }

    /** A hit answered on this thread from memory, or null: see {@link CachedRead#readInline}. */
    private ObjectData readInline(ChunkCache c, UUID volumeId, long seq, ByteRange.Span span) {
        try {
            return CachedRead.readInline(c, volumeId, seq, chunkSizeBytes, span.offset(), (int) span.length(), counters);
        } catch (RuntimeException | InternalError e) {
            // The read pool's path sees the same failure, reports it and checks the directory.
            LOG.debug("inline cache read failed: {}", e.toString());
            return null;
        }
    }

    private CompletableFuture<ObjectData> cachedGet(ChunkCache c, UUID volumeId, long seq, String key, ByteRange.Span span) {
        CachedRead read = new CachedRead(volumeId, seq, chunkSizeBytes, span.offset(), (int) span.length());
        CompletableFuture<Boolean> answerable;
        try {
            answerable = CompletableFuture.supplyAsync(() -> read.readCached(c, counters), readPool);
        } catch (RejectedExecutionException e) {
            return bypass(key, span);
        }
        return answerable.handle((ok, failure) -> {
            if (failure != null) {
                LOG.debug("cache read of {} failed; asking the store: {}", key, failure.toString());
            }
            if (read.cacheFailed()) {
                checkHealth(c);
            }
            return failure == null && ok;
        }).thenCompose(ok -> {
            if (!ok) {
                return bypass(key, span);
            }
            if (read.isComplete()) {
                ObjectData d = read.result();
                return d != null ? CompletableFuture.completedFuture(d) : bypass(key, span);
            }
            return fetchMissing(read, key, span);
        });
    }

    /** Fetches the chunks {@code read} lacks (one GET for those no other reader is fetching) and completes it. */
    private CompletableFuture<ObjectData> fetchMissing(CachedRead read, String key, ByteRange.Span span) {
        int[] missing = read.missingSpan();
        List<Integer> indexes = new ArrayList<>();
        List<CompletableFuture<CachedRead.Fetched>> parts = new ArrayList<>();
        Map<Integer, CompletableFuture<CachedRead.Fetched>> led = new LinkedHashMap<>();
        for (int i = missing[0]; i <= missing[1]; i++) {
            if (read.isFilled(i)) {
                continue;
            }
            CompletableFuture<CachedRead.Fetched> mine = new CompletableFuture<>();
            CompletableFuture<CachedRead.Fetched> theirs = inflight.putIfAbsent(read.key(i), mine);
            if (theirs == null) {
                led.put(i, mine);
            }
            indexes.add(i);
            parts.add(theirs != null ? theirs : mine);
        }
        counters.misses.add(parts.size());
        if (!led.isEmpty()) {
            fetch(read, key, led);
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).handle((v, failure) -> failure)
                .thenCompose(failure -> {
                    if (failure != null) {
                        Throwable cause = Exceptions.unwrap(failure);
                        // A span that runs past the end of the object: let the store answer the original range.
                        return cause instanceof InvalidRangeException ? bypass(key, span) : CompletableFuture.failedFuture(cause);
                    }
                    for (int j = 0; j < parts.size(); j++) {
                        if (!read.fill(indexes.get(j), parts.get(j).join())) {
                            return bypass(key, span);
                        }
                    }
                    ObjectData d = read.isComplete() ? read.result() : null;
                    return d != null ? CompletableFuture.completedFuture(d) : bypass(key, span);
                });
    }

    /** One ranged GET covering the chunks in {@code led}; completes their futures and queues them for the cache. */
    private void fetch(CachedRead read, String key, Map<Integer, CompletableFuture<CachedRead.Fetched>> led) {
        int lo = led.keySet().iterator().next();
        int hi = lo;
        for (int i : led.keySet()) {
            hi = i;
        }
        long start = read.chunkStart(lo);
        long length = read.chunkStart(hi) + chunkSizeBytes - start;
        CompletableFuture<ObjectData> got;
        try {
            got = delegate.get(key, ByteRange.of(start, length));
        } catch (RuntimeException e) {
            got = CompletableFuture.failedFuture(e);
        }
        got.whenComplete((d, failure) -> {
            Map<ChunkKey, CachedRead.Fetched> fetched = new LinkedHashMap<>();
            List<ChunkInsert> inserts = new ArrayList<>();
            for (Map.Entry<Integer, CompletableFuture<CachedRead.Fetched>> e : led.entrySet()) {
                ChunkKey k = read.key(e.getKey());
                inflight.remove(k, e.getValue());
                if (d != null) {
                    CachedRead.Fetched f = slice(d, read.chunkStart(e.getKey()));
                    fetched.put(k, f);
                    long expected = Math.min(chunkSizeBytes, d.objectSize() - read.chunkStart(e.getKey()));
                    if (expected > 0 && f.bytes().remaining() == expected) {
                        inserts.add(new ChunkInsert(k, f.bytes()));
                    }
                }
            }
            if (d != null) {
                counters.bytesFromStore.add(d.length());
                queueInserts(inserts, d.objectSize(), false);
            }
            for (Map.Entry<Integer, CompletableFuture<CachedRead.Fetched>> e : led.entrySet()) {
                if (d != null) {
                    e.getValue().complete(fetched.get(read.key(e.getKey())));
                } else {
                    e.getValue().completeExceptionally(Exceptions.unwrap(failure));
                }
            }
        });
    }

    /** The bytes of the chunk starting at {@code chunkStart} within what a GET returned (empty if none). */
    private CachedRead.Fetched slice(ObjectData d, long chunkStart) {
        long rel = chunkStart - d.offset();
        ByteBuffer b = d.data().duplicate();
        if (rel < 0 || rel >= d.length()) {
            return new CachedRead.Fetched(ByteBuffer.allocate(0), d.objectSize());
        }
        int length = (int) Math.min(chunkSizeBytes, d.length() - rel);
        b.position(b.position() + (int) rel);
        b.limit(b.position() + length);
        return new CachedRead.Fetched(b.slice().asReadOnlyBuffer(), d.objectSize());
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

    /** Learns a descriptor's volume id, or copies a segment's bytes (the caller may reuse its buffer) for the cache. */
    private void afterWrite(String key, ByteBuffer data, boolean replace) {
        String descriptorPrefix = SegmentName.descriptorPrefix(key);
        if (descriptorPrefix != null) {
            volumeIds.learn(descriptorPrefix, data.duplicate());
            return;
        }
        SegmentName segment = SegmentName.parse(key);
        CacheState s = state;
        int size = data.remaining();
        if (segment == null || size == 0 || (s != CacheState.READY && s != CacheState.OPENING)) {
            return;
        }
        int chunks = (size + chunkSizeBytes - 1) / chunkSizeBytes;
        if (!reserve(size, chunks)) {
            return;
        }
        ByteBuffer copy = ByteBuffer.allocate(size).put(data.duplicate()).flip().asReadOnlyBuffer();
        volumeIds.resolve(segment.prefix()).whenComplete((id, failure) -> {
            if (id == null) {
                pendingInsertBytes.addAndGet(-size);
                return;
            }
            List<ChunkInsert> inserts = new ArrayList<>(chunks);
            for (int i = 0; i < chunks; i++) {
                int from = i * chunkSizeBytes;
                ByteBuffer b = copy.duplicate().position(from).limit(Math.min(size, from + chunkSizeBytes)).slice();
                inserts.add(new ChunkInsert(new ChunkKey(id, segment.seq(), i), b));
            }
            submitInserts(inserts, size, size, replace);
        });
    }

    private record ChunkInsert(ChunkKey key, ByteBuffer bytes) {
    }

    private void queueInserts(List<ChunkInsert> inserts, long objectSize, boolean replace) {
        long bytes = 0;
        for (ChunkInsert i : inserts) {
            bytes += i.bytes().remaining();
        }
        if (inserts.isEmpty() || cache == null || !reserve(bytes, inserts.size())) {
            return;
        }
        submitInserts(inserts, objectSize, bytes, replace);
    }

    /** Takes {@code bytes} from the insert budget, or counts the chunks as dropped if the budget is spent. */
    private boolean reserve(long bytes, int chunks) {
        if (pendingInsertBytes.addAndGet(bytes) > config.maxPendingInsertBytes()) {
            pendingInsertBytes.addAndGet(-bytes);
            counters.insertsDropped.add(chunks);
            return false;
        }
        return true;
    }

    /** Runs the inserts on the writer thread; {@code reserved} bytes go back to the budget when they are done. */
    private void submitInserts(List<ChunkInsert> inserts, long objectSize, long reserved, boolean replace) {
        try {
            writer.execute(() -> {
                try {
                    insertAll(inserts, objectSize, replace);
                } finally {
                    pendingInsertBytes.addAndGet(-reserved);
                }
            });
        } catch (RejectedExecutionException e) {
            pendingInsertBytes.addAndGet(-reserved);
        }
    }

    private void insertAll(List<ChunkInsert> inserts, long objectSize, boolean replace) {
        ChunkCache c = cache;
        if (c == null || !checkHealth(c)) {
            return;
        }
        for (ChunkInsert i : inserts) {
            try {
                if (c.insert(i.key(), i.bytes(), objectSize, replace)) {
                    counters.inserts.increment();
                }
            } catch (Exception e) {
                counters.insertFailures.increment();
                if (insertFailureLogged.compareAndSet(false, true)) {
                    LOG.warn("local read cache {}: could not cache a chunk ({}); further failures are logged at DEBUG",
                            config.directory(), e.toString());
                } else {
                    LOG.debug("local read cache {}: could not cache chunk {}: {}", config.directory(), i.key(), e.toString());
                }
                if (!checkHealth(c)) {
                    return;
                }
            }
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
