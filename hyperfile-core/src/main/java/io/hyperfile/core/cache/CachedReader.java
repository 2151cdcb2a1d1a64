package io.hyperfile.core.cache;

import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.InvalidRangeException;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read path of {@link CachingObjectStore} for a ranged read of a segment: serves the chunks the cache holds of
 * the object the key names now, and fetches the others with one GET (shared with concurrent readers of the same
 * chunks: single flight), handing them to the {@link InsertQueue}.
 *
 * <p>Which chunks may be served: only those whose entry records the {@link SegmentIdentity} this process knows for
 * the segment ({@link SegmentIdentities}). If it is not known yet, the read starts the check (one GET of the
 * header) and, if the cache holds chunks of the segment, waits for it before serving any; if the cache holds none,
 * it goes to the store at once, alongside the check. A check that fails sends the read to the store.
 *
 * <p>Thread-safe. A small read that is wholly cached and in memory completes on the caller's thread; other reads
 * consult the cache on {@code readPool}; fetches complete on the store's threads.
 */
final class CachedReader {
    private static final Logger LOG = LoggerFactory.getLogger(CachedReader.class);

    /** What a cached read does once the index was consulted. */
    private enum Next { BYPASS, CONTINUE, AWAIT_IDENTITY }

    private final ObjectStore delegate;
    private final Executor readPool;
    private final int chunkSizeBytes;
    private final CacheCounters counters;
    private final SegmentIdentities identities;
    private final InsertQueue inserts;
    /** Whether a cache is still usable (its directory still there); disables it if not. */
    private final Predicate<ChunkCache> healthy;
    private final ConcurrentHashMap<ChunkKey, CompletableFuture<CachedRead.Fetched>> inflight = new ConcurrentHashMap<>();

    CachedReader(ObjectStore delegate, Executor readPool, int chunkSizeBytes, CacheCounters counters,
            SegmentIdentities identities, InsertQueue inserts, Predicate<ChunkCache> healthy) {
        this.delegate = delegate;
        this.readPool = readPool;
        this.chunkSizeBytes = chunkSizeBytes;
        this.counters = counters;
        this.identities = identities;
        this.inserts = inserts;
        this.healthy = healthy;
    }

    /**
     * Reads {@code span} (at most {@link CachingObjectStore#MAX_CACHED_READ_BYTES}) of the segment {@code ref} through
     * the cache {@code c}. Store failures arrive unwrapped, as the store reports them.
     */
    CompletableFuture<ObjectData> read(ChunkCache c, SegmentRef ref, ByteRange.Span span) {
        SegmentIdentity known = identities.known(ref.segment());
        if (known != null && span.length() <= CachingObjectStore.MAX_INLINE_READ_BYTES) {
            ObjectData d = readInline(c, ref, known, span);
            if (d != null) {
                return CompletableFuture.completedFuture(d);
            }
        }
        CompletableFuture<ObjectData> result = new CompletableFuture<>();
        attempt(c, ref, span, identities.resolve(ref.segment(), ref.key())).whenComplete((d, failure) -> {
            if (failure != null) {
                result.completeExceptionally(Exceptions.unwrap(failure));
            } else {
                result.complete(d);
            }
        });
        return result;
    }

    /** Passes a read straight to the store. */
    CompletableFuture<ObjectData> bypass(String key, ByteRange range) {
        counters.bypassed.increment();
        return delegate.get(key, range);
    }

    /** A hit answered on this thread from memory, or null: see {@link CachedRead#readInline}. */
    private ObjectData readInline(ChunkCache c, SegmentRef ref, SegmentIdentity identity, ByteRange.Span span) {
        try {
            return CachedRead.readInline(c, ref.prefixId(), ref.seq(), identity, chunkSizeBytes, span.offset(),
                    (int) span.length(), counters);
        } catch (RuntimeException | InternalError e) {
            // The read pool's path sees the same failure, reports it and checks the directory.
            LOG.debug("inline cache read failed: {}", e.toString());
            return null;
        }
    }

    /**
     * Reads {@code span} of the segment through the cache, serving only chunks of the object {@code identity} (being
     * checked, or known) names.
     */
    private CompletableFuture<ObjectData> attempt(ChunkCache c, SegmentRef ref, ByteRange.Span span,
            CompletableFuture<SegmentIdentity> identity) {
        CachedRead read = new CachedRead(ref.prefixId(), ref.seq(), chunkSizeBytes, span.offset(), (int) span.length());
        CompletableFuture<Next> next;
        try {
            next = CompletableFuture.supplyAsync(() -> consult(c, read, identity), readPool);
        } catch (RejectedExecutionException e) {
            return bypass(ref.key(), span);
        }
        return next.handle((n, failure) -> {
            if (failure != null) {
                LOG.debug("cache read of {} failed; asking the store: {}", ref.key(), failure.toString());
            }
            if (read.cacheFailed()) {
                healthy.test(c);
            }
            return failure == null ? n : Next.BYPASS;
        }).thenCompose(n -> switch (n) {
            case BYPASS -> bypass(ref.key(), span);
            case AWAIT_IDENTITY -> identity.thenCompose(id -> id == null ? bypass(ref.key(), span) : attempt(c, ref, span, identity));
            case CONTINUE -> read.isComplete() ? answer(read, ref.key(), span) : fetchMissing(read, ref, identity, span);
        });
    }

    /**
     * On a read pool thread: fills {@code read} from the chunks of the object {@code identity} names. While the
     * identity is still being checked nothing is served: the read waits for the check if anything is cached, and
     * goes to the store at once (alongside the check) if nothing is.
     */
    private Next consult(ChunkCache c, CachedRead read, CompletableFuture<SegmentIdentity> identity) {
        if (!identity.isDone()) {
            read.lookup(c);
            return read.hasEntries() ? Next.AWAIT_IDENTITY : Next.CONTINUE;
        }
        SegmentIdentity id = identity.join(); // never fails
        return id != null && read.readCached(c, id, counters) ? Next.CONTINUE : Next.BYPASS;
    }

    private CompletableFuture<ObjectData> answer(CachedRead read, String key, ByteRange.Span span) {
        ObjectData d = read.isComplete() ? read.result() : null;
        return d != null ? CompletableFuture.completedFuture(d) : bypass(key, span);
    }

    /** Fetches the chunks {@code read} lacks (one GET for those no other reader is fetching) and completes it. */
    private CompletableFuture<ObjectData> fetchMissing(CachedRead read, SegmentRef ref, CompletableFuture<SegmentIdentity> identity,
            ByteRange.Span span) {
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
            fetch(read, ref, identity, led);
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).handle((v, failure) -> failure)
                .thenCompose(failure -> {
                    if (failure != null) {
                        Throwable cause = Exceptions.unwrap(failure);
                        // A span that runs past the end of the object: let the store answer the original range.
                        return cause instanceof InvalidRangeException ? bypass(ref.key(), span) : CompletableFuture.failedFuture(cause);
                    }
                    for (int j = 0; j < parts.size(); j++) {
                        if (!read.fill(indexes.get(j), parts.get(j).join())) {
                            return bypass(ref.key(), span);
                        }
                    }
                    return answer(read, ref.key(), span);
                });
    }

    /**
     * One ranged GET covering the chunks in {@code led}; completes their futures and queues them for the cache,
     * labelled with the segment's identity once it is known.
     */
    private void fetch(CachedRead read, SegmentRef ref, CompletableFuture<SegmentIdentity> identity,
            Map<Integer, CompletableFuture<CachedRead.Fetched>> led) {
        int lo = led.keySet().iterator().next();
        int hi = lo;
        for (int i : led.keySet()) {
            hi = i;
        }
        long start = read.chunkStart(lo);
        long length = read.chunkStart(hi) + chunkSizeBytes - start;
        CompletableFuture<ObjectData> got;
        try {
            got = delegate.get(ref.key(), ByteRange.of(start, length));
        } catch (RuntimeException e) {
            got = CompletableFuture.failedFuture(e);
        }
        got.whenComplete((d, failure) -> {
            Map<ChunkKey, CachedRead.Fetched> fetched = new LinkedHashMap<>();
            List<InsertQueue.ChunkInsert> chunks = new ArrayList<>();
            for (Map.Entry<Integer, CompletableFuture<CachedRead.Fetched>> e : led.entrySet()) {
                ChunkKey k = read.key(e.getKey());
                inflight.remove(k, e.getValue());
                if (d != null) {
                    CachedRead.Fetched f = slice(d, read.chunkStart(e.getKey()));
                    fetched.put(k, f);
                    long expected = Math.min(chunkSizeBytes, d.objectSize() - read.chunkStart(e.getKey()));
                    if (expected > 0 && f.bytes().remaining() == expected) {
                        chunks.add(new InsertQueue.ChunkInsert(k, f.bytes()));
                    }
                }
            }
            if (d != null) {
                counters.bytesFromStore.add(d.length());
                inserts.fetched(ref, identity, d, chunks);
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
}
