package io.hyperfile.core.volume;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A queued write, write-zeroes, trim, compaction window or size change. Mutations apply strictly in arrival order on the volume's thread; one
 * that must wait (for a buffer, or for the old content of a partially written block) holds up those behind it,
 * which keeps every overlapping pair of requests in order without per-block locks.
 */
final class Mutation {
    enum Kind { WRITE, ZERO, TRIM, RELOCATE, RESIZE }

    final Kind kind;
    final long offset;
    final long length;
    /** The payload of a WRITE (read from its position, not moved); null otherwise. */
    final ByteBuffer source;
    final boolean durable;
    /** The moves of a RELOCATE; null otherwise. */
    final RelocationBatch relocation;
    final CompletableFuture<Void> future = new CompletableFuture<>();
    /** When it was queued (scheduler time): a mutation that waits for memory longer than the flush deadline fails. */
    long enqueuedNanos;

    /** Progress: the next block to apply. */
    long nextBlock = -1;
    /** Whether the whole-block range of a ZERO/TRIM was recorded. */
    boolean rangeDone;
    /** Old contents fetched for read-modify-write of partial blocks, by block number; null until one is fetched. */
    Map<Long, ByteBuffer> oldBlocks;
    /** What the mutation waits for, if anything; it is not applied further until this completes. */
    CompletableFuture<?> blocker;
    /** A failure met while waiting (say, the fetch of an old block). */
    Throwable error;

    Mutation(Kind kind, long offset, long length, ByteBuffer source, boolean durable) {
        this.kind = kind;
        this.offset = offset;
        this.length = length;
        this.source = source;
        this.durable = durable;
        this.relocation = null;
    }

    /**
     * A size change to {@code newSizeBytes} ({@link VolumeResizer}): {@code offset} holds the new size; durable, so it
     * completes once a checkpoint records it.
     */
    static Mutation resize(long newSizeBytes) {
        return new Mutation(Kind.RESIZE, newSizeBytes, 0, null, true);
    }

    /** A compaction window: applied in arrival order like the writes around it. */
    Mutation(RelocationBatch relocation) {
        this.kind = Kind.RELOCATE;
        this.offset = 0;
        this.length = 0;
        this.source = null;
        this.durable = false;
        this.relocation = relocation;
    }
}
