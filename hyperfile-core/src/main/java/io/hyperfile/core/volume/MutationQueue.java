package io.hyperfile.core.volume;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.segment.SegmentBuilder;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.RetryScheduler;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;

/**
 * Writes, write-zeroes, trims and size changes, applied to the write buffer strictly in arrival order. A mutation that must wait
 * (for buffer memory, or for the old content of a partially written block) holds up those behind it, which keeps
 * every overlapping pair of requests in order without per-block locks. A mutation that waits for memory longer than
 * {@code flush.deadline} (the store is down and the dirty budget is used up) fails with EIO rather than hanging;
 * the ones behind it wait their own turn.
 *
 * <p>Not thread-safe: used under the volume's lock; waits resume on the volume's executor.
 */
final class MutationQueue {
    private final int blockSize;
    private final VolumeMonitor monitor;
    private final VolumeHealth health;
    private final WriteBuffer buffer;
    private final SegmentPipeline pipeline;
    private final Executor executor;
    private final RetryScheduler timer;
    private final Duration deadline;
    /** Reads the current content of a byte range (buffers first, then the store) for read-modify-write. */
    private final BiFunction<Long, ByteBuffer, CompletableFuture<Void>> reader;
    private final String name;
    /** The volume's size; changed only here, by a RESIZE in its turn (read by any thread). */
    private final AtomicLong sizeBytes;

    private final ArrayDeque<Mutation> queue = new ArrayDeque<>();
    private boolean draining;
    private boolean memoryTimerArmed;

    MutationQueue(String name, int blockSize, VolumeMonitor monitor, VolumeHealth health, WriteBuffer buffer,
            SegmentPipeline pipeline, Executor executor, VolumeConfig config, AtomicLong sizeBytes,
            BiFunction<Long, ByteBuffer, CompletableFuture<Void>> reader) {
        this.name = name;
        this.sizeBytes = sizeBytes;
        this.blockSize = blockSize;
        this.monitor = monitor;
        this.health = health;
        this.buffer = buffer;
        this.pipeline = pipeline;
        this.executor = executor;
        this.timer = config.scheduler();
        this.deadline = config.flushDeadline();
        this.reader = reader;
    }

    /** Queues {@code m} and applies what can be applied now (under the lock). */
    void add(Mutation m) {
        health.checkWritable();
        m.enqueuedNanos = timer.nanoTime();
        queue.add(m);
        drain();
    }

    /** Applies queued mutations until one must wait or none is left (under the lock). */
    void drain() {
        if (draining) {
            return;
        }
        draining = true;
        try {
            while (!queue.isEmpty()) {
                Mutation m = queue.peekFirst();
                RuntimeException refusal = health.writeRefusal();
                if (refusal != null) {
                    queue.pollFirst();
                    monitor.fail(m.future, refusal);
                    continue;
                }
                if (m.blocker != null && !m.blocker.isDone()) {
                    armMemoryTimer();
                    return; // still waiting; its completion drains again
                }
                CompletableFuture<?> blocker;
                try {
                    if (m.error != null) {
                        throw m.error;
                    }
                    blocker = apply(m);
                } catch (Throwable t) {
                    queue.pollFirst();
                    Throwable cause = Exceptions.unwrap(t);
                    if (cause instanceof CorruptionException) {
                        health.onCorruptRead(cause);
                    }
                    monitor.fail(m.future, cause instanceof OutOfMemoryError oom
                            ? new VolumeUnavailableException("volume " + name + ": no memory for the write buffer", oom)
                            : cause);
                    continue;
                }
                m.blocker = blocker;
                if (blocker != null) {
                    try {
                        blocker.whenCompleteAsync((x, e) -> monitor.locked(() -> {
                            if (e != null && m.error == null) {
                                m.error = Exceptions.unwrap(e);
                            }
                            drain();
                        }), executor);
                    } catch (RejectedExecutionException e) {
                        // closed: the shutdown fails the queue
                    }
                    armMemoryTimer();
                    return;
                }
                queue.pollFirst();
                if (m.durable) {
                    pipeline.flushInto(m.future);
                } else {
                    monitor.complete(m.future, null);
                }
            }
        } finally {
            draining = false;
            pipeline.onBuffered();
        }
    }

    /**
     * A compaction window gets a segment of its own, sealed at once: the client writes before it are sealed first
     * (their window is indexed before it), and those after it go to the next builder (indexed after it, so they win).
     */
    private CompletableFuture<?> relocate(RelocationBatch batch) {
        if (buffer.hasUnsealedWrites()) {
            pipeline.seal(buffer.takeOpen());
        }
        CompletableFuture<?> wait = buffer.ensureBuilder(-1);
        if (wait != null) {
            return wait;
        }
        SegmentBuilder b = buffer.takeOpenEvenIfEmpty();
        long now = timer.nanoTime();
        for (Relocation r : batch.runs()) {
            int base = r.blocks().position();
            for (int i = 0; i < r.blockCount(); i++) {
                b.writeBlock(r.startBlock() + i, r.blocks(), base + i * blockSize, now);
            }
        }
        pipeline.sealRelocation(b, batch);
        return null;
    }

    /**
     * A size change (docs/RESIZE.md): the blocks between the old and the new end become holes in the open builder
     * and the size changes in the same step, so the window sealed next records both in one checkpoint. A shrink thus
     * never leaves a checkpoint whose size is smaller than its data, and a grow never shows what an interrupted or
     * racing shrink left beyond the old end.
     */
    private CompletableFuture<?> resize(long newSizeBytes) {
        long old = sizeBytes.get();
        if (newSizeBytes == old) {
            return null;
        }
        CompletableFuture<?> wait = buffer.ensureBuilder(-1);
        if (wait != null) {
            return wait;
        }
        long from = Math.min(old, newSizeBytes) / blockSize;
        long to = Math.max(old, newSizeBytes) / blockSize;
        buffer.open().writeRange(from, to - from, ExtentKind.HOLE, timer.nanoTime());
        sizeBytes.set(newSizeBytes);
        return null;
    }

    /** Fails every queued mutation (the volume stops). */
    void failAll(Throwable reason) {
        Mutation m;
        while ((m = queue.pollFirst()) != null) {
            monitor.fail(m.future, reason);
        }
    }

    /** While the head waits for memory, fails the queued mutations that have waited longer than the deadline. */
    private void armMemoryTimer() {
        if (memoryTimerArmed || queue.isEmpty() || !buffer.isWaitingForMemory()) {
            return;
        }
        memoryTimerArmed = true;
        long delay = Math.max(0, queue.peekFirst().enqueuedNanos + deadline.toNanos() - timer.nanoTime());
        timer.schedule(() -> {
            try {
                executor.execute(() -> monitor.locked(this::expireMemoryWaits));
            } catch (RejectedExecutionException e) {
                // closed
            }
        }, delay);
    }

    private void expireMemoryWaits() {
        memoryTimerArmed = false;
        long now = timer.nanoTime();
        while (buffer.isWaitingForMemory() && !queue.isEmpty() && now - queue.peekFirst().enqueuedNanos >= deadline.toNanos()) {
            Mutation m = queue.pollFirst();
            monitor.fail(m.future, new VolumeUnavailableException("volume " + name + ": write waited "
                    + deadline.toMillis() + " ms for buffer memory (dirty data cannot be stored yet); it was not applied"
                    + " completely", null));
        }
        armMemoryTimer();
    }

    /** Applies as much of {@code m} as it can; returns null when done, or what it waits for. */
    private CompletableFuture<?> apply(Mutation m) {
        if (m.kind == Mutation.Kind.RELOCATE) {
            return relocate(m.relocation);
        }
        if (m.kind == Mutation.Kind.RESIZE) {
            return resize(m.offset);
        }
        if (m.offset + m.length > sizeBytes.get()) { // checked against a larger size, then a shrink got in first
            throw new OutOfRangeException(m.length + " bytes at offset " + m.offset + " are outside volume " + name
                    + " of " + sizeBytes.get() + " bytes (it was shrunk)");
        }
        long firstBlock = m.offset / blockSize;
        long endByte = m.offset + m.length;
        long lastBlock = (endByte - 1) / blockSize;
        if (m.nextBlock < 0) {
            m.nextBlock = firstBlock;
        }
        long now = timer.nanoTime();
        if (m.kind != Mutation.Kind.WRITE && !m.rangeDone) {
            long fullStart = (m.offset + blockSize - 1) / blockSize;
            long fullEnd = endByte / blockSize;
            if (fullEnd > fullStart) {
                CompletableFuture<?> wait = buffer.ensureBuilder(-1);
                if (wait != null) {
                    return wait;
                }
                buffer.open().writeRange(fullStart, fullEnd - fullStart,
                        m.kind == Mutation.Kind.ZERO ? ExtentKind.ZERO : ExtentKind.HOLE, now);
            }
            m.rangeDone = true;
            if (m.kind == Mutation.Kind.TRIM) {
                return null;
            }
        }
        for (long b = m.nextBlock; b <= lastBlock; b = m.nextBlock) {
            long blockStart = b * blockSize;
            int from = (int) Math.max(0, m.offset - blockStart);
            int to = (int) Math.min(blockSize, endByte - blockStart);
            boolean whole = from == 0 && to == blockSize;
            if (m.kind == Mutation.Kind.ZERO && whole) {
                m.nextBlock = b < lastBlock ? lastBlock : b + 1; // whole blocks are covered by the range
                continue;
            }
            CompletableFuture<?> wait = buffer.ensureBuilder(b);
            if (wait != null) {
                return wait;
            }
            if (whole) {
                buffer.open().writeBlock(b, m.source, (int) (m.source.position() + blockStart - m.offset), now);
            } else {
                ByteBuffer old = m.oldBlocks == null ? null : m.oldBlocks.get(b);
                if (old == null) {
                    old = ByteBuffer.allocate(blockSize);
                    CompletableFuture<Void> fetched = reader.apply(blockStart, old.duplicate());
                    if (m.oldBlocks == null) {
                        m.oldBlocks = new HashMap<>(2);
                    }
                    m.oldBlocks.put(b, old);
                    if (!fetched.isDone() || fetched.isCompletedExceptionally()) {
                        return fetched;
                    }
                }
                ByteBuffer merged = ByteBuffer.allocate(blockSize);
                merged.put(0, old, 0, blockSize);
                if (m.kind == Mutation.Kind.WRITE) {
                    merged.put(from, m.source, (int) (m.source.position() + blockStart + from - m.offset), to - from);
                } else {
                    merged.put(from, buffer.zeroBlock(), 0, to - from);
                }
                buffer.open().writeBlock(b, merged, now);
                m.oldBlocks.remove(b);
            }
            m.nextBlock = b + 1;
        }
        return null;
    }
}
