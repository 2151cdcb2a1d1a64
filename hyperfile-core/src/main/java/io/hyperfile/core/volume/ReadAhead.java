package io.hyperfile.core.volume;

import io.hyperfile.core.index.BlockIndex;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sequential read-ahead: a read that starts where the previous one ended fetches up to {@code read.ahead-bytes}
 * beyond it (one window in flight at a time). Interleaved streams look random and get none. The fetched bytes land
 * in the store's cache, if it has one; a failed prefetch is only a lost hint. Thread-safe (lock-free).
 */
final class ReadAhead {
    private final VolumeReads reads;
    private final long windowBytes;
    private final AtomicLong sizeBytes;
    private final int blockSize;
    private final AtomicLong lastReadEnd = new AtomicLong(-1);
    private volatile long aheadUpTo;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicLong bytesFetched = new AtomicLong();

    ReadAhead(VolumeReads reads, long windowBytes, AtomicLong sizeBytes, int blockSize) {
        this.reads = reads;
        this.windowBytes = windowBytes;
        this.sizeBytes = sizeBytes;
        this.blockSize = blockSize;
    }

    /** A read of {@code length} bytes at {@code offset} was planned on {@code snapshot}. */
    void onRead(long offset, int length, BlockIndex snapshot) {
        long end = offset + length;
        long size = sizeBytes.get();
        if (windowBytes == 0 || lastReadEnd.getAndSet(end) != offset || end >= size) {
            return;
        }
        long ahead = aheadUpTo;
        long from = ahead >= end && ahead <= end + windowBytes ? ahead : end;
        long to = Math.min(size, end + windowBytes);
        if (to - from < Math.min(windowBytes / 2, to - end) || to <= from || !busy.compareAndSet(false, true)) {
            return;
        }
        aheadUpTo = to;
        reads.prefetch(snapshot, from / blockSize, (to + blockSize - 1) / blockSize).whenComplete((bytes, e) -> {
            busy.set(false);
            if (bytes != null) {
                bytesFetched.addAndGet(bytes);
            }
        });
    }

    long bytesFetched() {
        return bytesFetched.get();
    }
}
