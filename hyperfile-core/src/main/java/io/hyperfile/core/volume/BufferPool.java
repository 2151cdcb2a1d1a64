package io.hyperfile.core.volume;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The write buffer's memory: at most {@code maxBuffers} off-heap buffers of at least {@code bufferBytes} exist at once.
 * When all are taken, {@link #acquire} returns a future that completes when one comes back: writers wait, no
 * thread blocks, nothing fails. Buffers are reused, so the dirty-memory bound is also the off-heap footprint.
 *
 * <p>Buffers a closed volume no longer needs go to a process-wide free list (up to {@value #SHARED_LIMIT_BYTES}
 * bytes), where the next volume finds them already allocated and touched: a new off-heap buffer costs a page
 * fault per 4 KiB on first use.
 *
 * <p>Not thread-safe: used under its volume's lock.
 */
class BufferPool {
    static final long SHARED_LIMIT_BYTES = 256L << 20;
    private static final Map<Integer, ConcurrentLinkedDeque<ByteBuffer>> SHARED = new ConcurrentHashMap<>();
    private static final AtomicLong SHARED_BYTES = new AtomicLong();

    private final int bufferBytes;
    private final int maxBuffers;
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<ByteBuffer>> waiters = new ArrayDeque<>();
    private int outstanding;

    BufferPool(int bufferBytes, int maxBuffers) {
        if (maxBuffers < 2) {
            throw new IllegalArgumentException("the write buffer needs at least 2 buffers. maxBuffers=" + maxBuffers);
        }
        this.bufferBytes = bufferBytes;
        this.maxBuffers = maxBuffers;
    }

    /**
     * A buffer now, or a future completed when one is released. A buffer is counted only once it exists: if the
     * allocation fails (direct memory exhausted), nothing is counted; the future waits for a buffer in use to come
     * back, or, if none is in use, fails with the allocation error (so a writer never waits for nothing).
     */
    CompletableFuture<ByteBuffer> acquire() {
        if (outstanding < maxBuffers) {
            ByteBuffer b = free.poll();
            if (b == null) {
                try {
                    b = allocate();
                } catch (OutOfMemoryError e) {
                    if (outstanding == 0) {
                        return CompletableFuture.failedFuture(e);
                    }
                    CompletableFuture<ByteBuffer> f = new CompletableFuture<>();
                    waiters.add(f);
                    return f;
                }
            }
            outstanding++;
            return CompletableFuture.completedFuture(b.clear());
        }
        CompletableFuture<ByteBuffer> f = new CompletableFuture<>();
        waiters.add(f);
        return f;
    }

    /**
     * Gives a buffer back. A builder whose index nodes outgrew its buffer hands back the larger one it moved to; it
     * is kept, so scattered writes (many rewritten nodes per segment) stop allocating once the buffers have grown.
     */
    void release(ByteBuffer buffer) {
        CompletableFuture<ByteBuffer> next = waiters.poll();
        if (next != null) {
            next.complete(buffer.clear());
            return;
        }
        outstanding--;
        free.push(buffer);
    }

    /** Hands the free buffers to the process-wide list; called when the volume stops. */
    void retire() {
        ByteBuffer b;
        while ((b = free.poll()) != null) {
            if (SHARED_BYTES.addAndGet(b.capacity()) <= SHARED_LIMIT_BYTES) {
                SHARED.computeIfAbsent(bufferBytes, k -> new ConcurrentLinkedDeque<>()).push(b);
            } else {
                SHARED_BYTES.addAndGet(-b.capacity());
            }
        }
    }

    /** Allocates a new buffer (or takes one a closed volume left); package-private so a test can make it fail. */
    ByteBuffer allocate() {
        ConcurrentLinkedDeque<ByteBuffer> shared = SHARED.get(bufferBytes);
        ByteBuffer b = shared == null ? null : shared.poll();
        if (b != null) {
            SHARED_BYTES.addAndGet(-b.capacity());
            return b.clear();
        }
        return ByteBuffer.allocateDirect(bufferBytes);
    }

    /** Fails every waiter (the volume is closing or fenced). */
    void failWaiters(Throwable t) {
        CompletableFuture<ByteBuffer> w;
        while ((w = waiters.poll()) != null) {
            w.completeExceptionally(t);
        }
    }

    int outstanding() {
        return outstanding;
    }

    int maxBuffers() {
        return maxBuffers;
    }

    int bufferBytes() {
        return bufferBytes;
    }
}
