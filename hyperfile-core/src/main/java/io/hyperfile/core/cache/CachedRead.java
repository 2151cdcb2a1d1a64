package io.hyperfile.core.cache;

import io.hyperfile.core.store.ObjectData;
import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * One ranged read of a segment served through the cache: which chunks it covers, which of them the cache had,
 * and the caller's buffer being filled from cached and fetched chunks. Cached chunks are used only if they belong
 * to the object the caller vouches for ({@link SegmentIdentity}); others are stale and count as missing. Confined
 * to one thread at a time (the stages of one read run one after another).
 */
final class CachedRead {
    /** A chunk fetched from the store: its bytes (read-only, shared between readers) and the object's size. */
    record Fetched(ByteBuffer bytes, long objectSize) {
    }

    private final UUID prefixId;
    private final long seq;
    private final int chunkSizeBytes;
    private final long offset;
    private final long end;
    private long objectSize = -1;
    private boolean cacheFailed;
    private final long firstChunk;
    private final byte[] out;
    private final boolean[] filled;
    /** The index entries of the chunks, once looked up; null where none. */
    private SlotEntry[] entries;

    CachedRead(UUID prefixId, long seq, int chunkSizeBytes, long offset, int length) {
        this.prefixId = prefixId;
        this.seq = seq;
        this.chunkSizeBytes = chunkSizeBytes;
        this.offset = offset;
        this.end = offset + length;
        this.firstChunk = offset / chunkSizeBytes;
        this.out = new byte[length];
        this.filled = new boolean[(int) ((end - 1) / chunkSizeBytes - firstChunk + 1)];
    }

    ChunkKey key(int i) {
        return new ChunkKey(prefixId, seq, firstChunk + i);
    }

    long chunkStart(int i) {
        return (firstChunk + i) * chunkSizeBytes;
    }

    int chunkCount() {
        return filled.length;
    }

    boolean isFilled(int i) {
        return filled[i];
    }

    /** Whether the read starts at or past the end of the object (known once a chunk was seen). */
    boolean startsPastEnd() {
        return objectSize >= 0 && offset >= objectSize;
    }

    /** Looks up the index entries of the chunks the read covers (a failed lookup counts as none). */
    void lookup(ChunkCache cache) {
        entries = new SlotEntry[filled.length];
        for (int i = 0; i < entries.length; i++) {
            try {
                entries[i] = cache.lookup(key(i));
            } catch (RuntimeException e) {
                entries[i] = null;
            }
        }
    }

    /** Whether {@link #lookup} found any chunk of the read in the cache (of whatever object). */
    boolean hasEntries() {
        for (SlotEntry e : entries) {
            if (e != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * Fills what the cache holds of the object {@code identity} names (looking the chunks up first if
     * {@link #lookup} has not); chunks cached from another object are stale and stay missing. Returns false if the
     * read cannot be answered from the cache and store chunks together (it starts past the end of the object): the
     * caller then asks the store for the original range.
     */
    boolean readCached(ChunkCache cache, SegmentIdentity identity, CacheCounters counters) {
        if (entries == null) {
            lookup(cache);
        }
        objectSize = identity.objectSize();
        if (startsPastEnd()) {
            return false;
        }
        for (int i = 0; i < entries.length; i++) {
            SlotEntry e = entries[i];
            if (e == null || chunkStart(i) >= effectiveEnd()) {
                continue;
            }
            if (!e.belongsTo(identity)) {
                counters.staleChunks.increment();
                continue;
            }
            if (e.length() != expectedLength(i)) {
                continue;
            }
            long start = chunkStart(i);
            long from = Math.max(offset, start);
            long to = Math.min(effectiveEnd(), start + e.length());
            try {
                if (cache.read(key(i), e, (int) (from - start), (int) (to - start), out, (int) (from - offset)) == ChunkCache.HIT) {
                    filled[i] = true;
                    counters.hits.increment();
                    counters.bytesFromCache.add(to - from);
                }
            } catch (RuntimeException | InternalError ex) {
                // A broken or vanished cache file is a miss; the wrapper checks the directory afterwards.
                cacheFailed = true;
                return true;
            }
        }
        return true;
    }

    /**
     * Answers a read of {@code [offset, offset + length)} of the object {@code identity} names entirely from the
     * cache on the calling thread, or returns null (having counted nothing but the pieces read) if any chunk it needs
     * is missing, stale, not in the page cache, or fails its check, or the read starts past the end of the object:
     * the caller then takes the ordinary path. Meant for small reads: it never waits for the disk (see
     * {@link ChunkCache#readIfResident}).
     */
    static ObjectData readInline(ChunkCache cache, UUID prefixId, long seq, SegmentIdentity identity, int chunkSizeBytes,
            long offset, int length, CacheCounters counters) {
        long objectSize = identity.objectSize();
        if (offset >= objectSize) {
            return null; // the store reports this range; let the ordinary path ask it
        }
        long end = Math.min(offset + length, objectSize);
        long firstChunk = offset / chunkSizeBytes;
        long lastChunk = (end - 1) / chunkSizeBytes;
        byte[] out = null;
        int chunks = 0;
        for (long c = firstChunk; c <= lastChunk; c++) {
            long start = c * chunkSizeBytes;
            ChunkKey key = new ChunkKey(prefixId, seq, c);
            SlotEntry e = cache.lookup(key);
            if (e == null || !e.belongsTo(identity)) {
                return null;
            }
            if (e.length() != Math.min(chunkSizeBytes, objectSize - start)) {
                return null;
            }
            if (out == null) {
                out = new byte[(int) (end - offset)];
            }
            long from = Math.max(offset, start);
            long to = Math.min(end, start + e.length());
            if (cache.readIfResident(key, e, (int) (from - start), (int) (to - start), out, (int) (from - offset)) != ChunkCache.HIT) {
                return null;
            }
            chunks++;
        }
        counters.hits.add(chunks);
        counters.inlineHits.increment();
        counters.bytesFromCache.add(out.length);
        return new ObjectData(ByteBuffer.wrap(out), offset, objectSize);
    }

    /** Whether reading the cache failed with an I/O error (not a checksum mismatch). */
    boolean cacheFailed() {
        return cacheFailed;
    }

    /** Whether any chunk that holds bytes of the (clamped) range is still missing. */
    boolean isComplete() {
        for (int i = 0; i < filled.length; i++) {
            if (!filled[i] && chunkStart(i) < effectiveEnd()) {
                return false;
            }
        }
        return true;
    }

    /** Indexes of the first and last missing chunks (that hold bytes of the range), or null if none. */
    int[] missingSpan() {
        int first = -1;
        int last = -1;
        for (int i = 0; i < filled.length; i++) {
            if (!filled[i] && chunkStart(i) < effectiveEnd()) {
                first = first < 0 ? i : first;
                last = i;
            }
        }
        return first < 0 ? null : new int[] {first, last};
    }

    /**
     * Copies a fetched chunk into the caller's buffer. Returns false if the chunk is shorter than it must be (the
     * store returned less than the chunk holds), or comes from an object of another size than the one cached chunks
     * of this read were taken from (the object changed meanwhile), so the read must fall back to the store.
     */
    boolean fill(int i, Fetched f) {
        if (objectSize >= 0 && f.objectSize() != objectSize) {
            return false;
        }
        objectSize = f.objectSize();
        long start = chunkStart(i);
        long expected = Math.max(0, Math.min(chunkSizeBytes, objectSize - start));
        if (f.bytes().remaining() != expected) {
            return false;
        }
        copy(i, f.bytes());
        filled[i] = true;
        return true;
    }

    /** The answer, once {@link #isComplete()}; null if the object size is still unknown or the range is wrong. */
    ObjectData result() {
        if (objectSize < 0 || startsPastEnd()) {
            return null;
        }
        int length = (int) (effectiveEnd() - offset);
        return new ObjectData(ByteBuffer.wrap(out, 0, length), offset, objectSize);
    }

    private long effectiveEnd() {
        return objectSize >= 0 ? Math.min(end, objectSize) : end;
    }

    /** The length chunk {@code i} of the object (of the known size) has. */
    private long expectedLength(int i) {
        return Math.min(chunkSizeBytes, objectSize - chunkStart(i));
    }

    /** Copies the part of chunk {@code i} (its bytes from position to limit) that the read wants; returns the count. */
    private long copy(int i, ByteBuffer chunk) {
        long start = chunkStart(i);
        long from = Math.max(offset, start);
        long to = Math.min(end, start + chunk.remaining());
        if (to <= from) {
            return 0;
        }
        ByteBuffer src = chunk.duplicate();
        src.position(src.position() + (int) (from - start));
        src.get(out, (int) (from - offset), (int) (to - from));
        return to - from;
    }
}
