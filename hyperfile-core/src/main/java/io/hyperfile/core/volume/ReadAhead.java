package io.hyperfile.core.volume;

import io.hyperfile.core.index.BlockIndex;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sequential read-ahead for up to {@value #STREAMS} streams at once: a read that starts where an earlier read of
 * the volume ended continues that stream, and fetches up to {@code read.ahead-bytes} beyond it (one window in flight
 * per stream, at least half a window of new ground per fetch). So sequential readers on several connections, or
 * several sequential jobs on one, each get read-ahead however their requests interleave. A read that continues no
 * stream starts a new one in place of the least recently used, and fetches nothing: random reads get no read-ahead.
 * The fetched bytes land in the store's cache, if it has one; a failed prefetch is only a lost hint. Thread-safe.
 */
final class ReadAhead {
    /** How many sequential streams are followed at once. */
    static final int STREAMS = 8;

    /** One stream: where its next read should start, and how far it has been fetched. */
    private static final class Stream {
        long next;
        long aheadUpTo = -1;
        long lastUse;
        boolean busy;

        Stream(long next) {
            this.next = next;
        }
    }

    private final VolumeReads reads;
    private final long windowBytes;
    private final AtomicLong sizeBytes;
    private final int blockSize;
    private final Stream[] streams = new Stream[STREAMS];
    private long ticks;
    private final AtomicLong bytesFetched = new AtomicLong();

    ReadAhead(VolumeReads reads, long windowBytes, AtomicLong sizeBytes, int blockSize) {
        this.reads = reads;
        this.windowBytes = windowBytes;
        this.sizeBytes = sizeBytes;
        this.blockSize = blockSize;
    }

    /** A read of {@code length} bytes at {@code offset} was planned on {@code snapshot}. */
    void onRead(long offset, int length, BlockIndex snapshot) {
        if (windowBytes == 0) {
            return;
        }
        long end = offset + length;
        long size = sizeBytes.get();
        Stream s;
        long from;
        long to;
        synchronized (this) {
            s = continued(offset);
            if (s == null) {
                int slot = leastRecentlyUsed();
                streams[slot] = new Stream(end);
                streams[slot].lastUse = ++ticks;
                return;
            }
            s.next = end;
            s.lastUse = ++ticks;
            if (end >= size || s.busy) {
                return;
            }
            long ahead = s.aheadUpTo;
            from = ahead >= end && ahead <= end + windowBytes ? ahead : end;
            to = Math.min(size, end + windowBytes);
            if (to <= from || to - from < Math.min(windowBytes / 2, to - end)) {
                return;
            }
            s.busy = true;
            s.aheadUpTo = to;
        }
        Stream fetching = s;
        reads.prefetch(snapshot, from / blockSize, (to + blockSize - 1) / blockSize).whenComplete((bytes, e) -> {
            synchronized (this) {
                fetching.busy = false;
            }
            if (bytes != null) {
                bytesFetched.addAndGet(bytes);
            }
        });
    }

    /** The stream a read at {@code offset} continues, or null. */
    private Stream continued(long offset) {
        for (Stream s : streams) {
            if (s != null && s.next == offset) {
                return s;
            }
        }
        return null;
    }

    private int leastRecentlyUsed() {
        int oldest = 0;
        for (int i = 0; i < streams.length; i++) {
            if (streams[i] == null) {
                return i;
            }
            if (streams[i].lastUse < streams[oldest].lastUse) {
                oldest = i;
            }
        }
        return oldest;
    }

    long bytesFetched() {
        return bytesFetched.get();
    }
}
