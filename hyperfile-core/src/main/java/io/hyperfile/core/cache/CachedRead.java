package io.hyperfile.core.cache;

import io.hyperfile.core.store.ObjectData;
import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * One ranged read of a segment served through the cache: which chunks it covers, which of them the cache had,
 * and the caller's buffer being filled from cached and fetched chunks. Confined to one thread at a time (the
 * stages of one read run one after another).
 */
final class CachedRead {
    /** A chunk fetched from the store: its bytes (read-only, shared between readers) and the object's size. */
    record Fetched(ByteBuffer bytes, long objectSize) {
    }

    private final UUID volumeId;
    private final long seq;
    private final int chunkSizeBytes;
    private final long offset;
    private final long end;
    private long objectSize = -1;
    private boolean cacheFailed;
    private final long firstChunk;
    private final byte[] out;
    private final boolean[] filled;

    CachedRead(UUID volumeId, long seq, int chunkSizeBytes, long offset, int length) {
        this.volumeId = volumeId;
        this.seq = seq;
        this.chunkSizeBytes = chunkSizeBytes;
        this.offset = offset;
        this.end = offset + length;
        this.firstChunk = offset / chunkSizeBytes;
        this.out = new byte[length];
        this.filled = new boolean[(int) ((end - 1) / chunkSizeBytes - firstChunk + 1)];
    }

    ChunkKey key(int i) {
        return new ChunkKey(volumeId, seq, firstChunk + i);
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

    /**
     * Fills what the cache holds. Returns false if the read cannot be answered from the cache and store chunks
     * together (it starts past the end of the object): the caller then asks the store for the original range.
     */
    boolean readCached(ChunkCache cache, CacheCounters counters) {
        SlotEntry[] entries = new SlotEntry[filled.length];
        for (int i = 0; i < entries.length; i++) {
            try {
                entries[i] = cache.lookup(key(i));
            } catch (RuntimeException e) {
                entries[i] = null;
            }
            if (entries[i] != null) {
                objectSize = entries[i].objectSize();
            }
        }
        if (startsPastEnd()) {
            return false;
        }
        for (int i = 0; i < entries.length; i++) {
            SlotEntry e = entries[i];
            if (e == null || !fitsObject(i, e) || chunkStart(i) >= effectiveEnd()) {
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
     * Answers a read of {@code [offset, offset + length)} entirely from the cache on the calling thread, or returns
     * null (having counted nothing but the pieces read) if any chunk it needs is missing, not in the page cache, or
     * fails its check, or the read starts past the end of the object: the caller then takes the ordinary path.
     * Meant for small reads: it never waits for the disk (see {@link ChunkCache#readIfResident}).
     */
    static ObjectData readInline(ChunkCache cache, UUID volumeId, long seq, int chunkSizeBytes, long offset, int length,
            CacheCounters counters) {
        long end = offset + length;
        long firstChunk = offset / chunkSizeBytes;
        long lastChunk = (end - 1) / chunkSizeBytes;
        long objectSize = -1;
        byte[] out = null;
        int chunks = 0;
        for (long c = firstChunk; c <= lastChunk; c++) {
            long start = c * chunkSizeBytes;
            if (objectSize >= 0 && start >= end) {
                break; // clamped at the end of the object
            }
            ChunkKey key = new ChunkKey(volumeId, seq, c);
            SlotEntry e = cache.lookup(key);
            if (e == null) {
                return null;
            }
            if (objectSize < 0) {
                objectSize = e.objectSize();
                if (offset >= objectSize) {
                    return null; // the store reports this range; let the ordinary path ask it
                }
                end = Math.min(end, objectSize);
                out = new byte[(int) (end - offset)];
            } else if (e.objectSize() != objectSize) {
                return null;
            }
            if (e.length() != Math.min(chunkSizeBytes, objectSize - start)) {
                return null;
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
     * store returned less than the chunk holds), so the read must fall back to the store.
     */
    boolean fill(int i, Fetched f) {
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

    /** Whether a cached entry's length is the one chunk {@code i} of an object of its recorded size must have. */
    private boolean fitsObject(int i, SlotEntry e) {
        long expected = Math.min(chunkSizeBytes, e.objectSize() - chunkStart(i));
        return e.objectSize() == objectSize && e.length() == expected;
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
