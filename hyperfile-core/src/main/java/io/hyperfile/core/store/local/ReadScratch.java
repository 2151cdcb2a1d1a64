package io.hyperfile.core.store.local;

import java.nio.ByteBuffer;

/**
 * The off-heap memory a thread reads into when a reader borrows the bytes ({@code LocalDirectoryObjectStore}'s
 * {@code read}): one buffer per thread, grown to the largest read up to {@value #MAX_BYTES} bytes and reused, so a
 * read allocates nothing. The pool's I/O threads and, for the short reads that run on the caller's thread, the
 * callers' threads each hold at most one (8 I/O threads: at most 16 MiB). A buffer lives as long as its thread.
 *
 * <p>Lent to one reader at a time: a read made while this thread's buffer is out (a reader that reads again) gets
 * none, and reads into a heap buffer of its own. Used by one thread only, so there is nothing to lock.
 */
final class ReadScratch {
    /** The largest read served from the scratch; longer ones read into a heap buffer. */
    static final int MAX_BYTES = 2 << 20;
    private static final int MIN_BYTES = 64 << 10;
    private static final ThreadLocal<ReadScratch> MINE = ThreadLocal.withInitial(ReadScratch::new);

    private ByteBuffer buffer;
    private boolean lent;

    private ReadScratch() {
    }

    /** This thread's scratch, now lent to the caller; null while it is lent already. */
    static ReadScratch lend() {
        ReadScratch s = MINE.get();
        if (s.lent) {
            return null;
        }
        s.lent = true;
        return s;
    }

    /** Takes back what {@link #lend} gave (null: nothing was lent). */
    static void giveBack(ReadScratch s) {
        if (s != null) {
            s.lent = false;
        }
    }

    /**
     * A buffer of exactly {@code length} bytes (position 0, limit and capacity {@code length}) in this scratch, or null
     * when {@code length} is above {@value #MAX_BYTES}. Valid until the scratch is lent again.
     */
    ByteBuffer buffer(int length) {
        if (length > MAX_BYTES) {
            return null;
        }
        if (buffer == null || buffer.capacity() < length) {
            int size = Math.max(MIN_BYTES, length <= 1 ? 1 : Integer.highestOneBit(length - 1) << 1);
            buffer = ByteBuffer.allocateDirect(Math.min(size, MAX_BYTES));
        }
        return buffer.clear().limit(length).slice();
    }

    /** Bytes this scratch holds (for tests). */
    int capacity() {
        return buffer == null ? 0 : buffer.capacity();
    }
}
