package io.hyperfile.core.volume;

import io.hyperfile.core.encoding.SegmentEncoding;
import io.hyperfile.core.index.BlockIndex;
import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.segment.SegmentBuilder;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The write buffer and the read overlay: the open segment builder that takes new writes, the buffer pool that
 * bounds their memory, and the view that reads get of every builder not yet durable (the open one, then the
 * sealed ones on their way to the store, newest first), with the index answering the rest.
 *
 * <p>Not thread-safe: used under the volume's lock.
 */
final class WriteBuffer {
    private final int blockSize;
    private final int maxBlocksPerSegment;
    private final UUID volumeId;
    private final UUID writerId;
    private final ByteBuffer zeroBlock;
    private final SegmentEncoding encoding;
    private final BufferPool pool;
    /** Hands a full or flushed builder to the segment pipeline. */
    private final Consumer<SegmentBuilder> sealer;
    /** The sealed builders still on their way to the store, newest first. */
    private final Supplier<List<SegmentBuilder>> unsettledNewestFirst;

    private SegmentBuilder open;
    private CompletableFuture<ByteBuffer> pendingBuffer;
    private long nextSeq;

    WriteBuffer(int blockSize, int maxBlocksPerSegment, UUID volumeId, UUID writerId, SegmentEncoding encoding,
            BufferPool pool, long nextSeq, Consumer<SegmentBuilder> sealer,
            Supplier<List<SegmentBuilder>> unsettledNewestFirst) {
        this.encoding = encoding;
        this.blockSize = blockSize;
        this.maxBlocksPerSegment = maxBlocksPerSegment;
        this.volumeId = volumeId;
        this.writerId = writerId;
        this.pool = pool;
        this.nextSeq = nextSeq;
        this.sealer = sealer;
        this.unsettledNewestFirst = unsettledNewestFirst;
        this.zeroBlock = ByteBuffer.allocateDirect(blockSize).asReadOnlyBuffer();
    }

    ByteBuffer zeroBlock() {
        return zeroBlock;
    }

    /** The builder taking writes, or null. */
    SegmentBuilder open() {
        return open;
    }

    boolean hasUnsealedWrites() {
        return open != null && !open.isEmpty();
    }

    /** Takes the open builder away to be sealed, or returns null if it holds nothing. */
    SegmentBuilder takeOpen() {
        if (open == null || open.isEmpty()) {
            return null;
        }
        SegmentBuilder b = open;
        open = null;
        return b;
    }

    /** Takes the open builder away even if it holds nothing (a compaction window may only rewrite index paths). */
    SegmentBuilder takeOpenEvenIfEmpty() {
        SegmentBuilder b = open;
        open = null;
        return b;
    }

    /** The seq the next new builder gets: every seq below it is this writer's (or was before it opened). */
    long nextSeq() {
        return nextSeq;
    }

    /**
     * Makes sure the open builder can take block {@code blockNo} (-1: any range record); a full builder is handed to
     * the pipeline first. Returns null when it can, or the buffer it waits for.
     */
    CompletableFuture<?> ensureBuilder(long blockNo) {
        if (open != null && (blockNo < 0 || open.hasRoomFor(1) || open.slotOf(blockNo) >= 0)) {
            return null;
        }
        if (open != null) {
            sealer.accept(takeOpen());
        }
        if (pendingBuffer == null) {
            pendingBuffer = pool.acquire();
        }
        if (!pendingBuffer.isDone()) {
            return pendingBuffer;
        }
        CompletableFuture<ByteBuffer> got = pendingBuffer;
        pendingBuffer = null;
        if (got.isCompletedExceptionally()) {
            return got; // the mutation fails with the allocation error; the next one asks again
        }
        open = newBuilder(got.join());
        return null;
    }

    /** Whether a write waits for a buffer right now (the dirty budget is used up). */
    boolean isWaitingForMemory() {
        return pendingBuffer != null && !pendingBuffer.isDone();
    }

    /** A builder for a segment that carries no writes (the claim written at open); null if no buffer is free. */
    SegmentBuilder emptyBuilder() {
        CompletableFuture<ByteBuffer> b = pool.acquire();
        return b.isDone() && !b.isCompletedExceptionally() ? newBuilder(b.join()) : null;
    }

    private SegmentBuilder newBuilder(ByteBuffer memory) {
        return new SegmentBuilder(memory, blockSize, maxBlocksPerSegment, nextSeq++, volumeId, writerId, zeroBlock,
                encoding);
    }

    /** A durable segment's memory comes back. */
    void release(ByteBuffer memory) {
        pool.release(memory);
    }

    void failWaiters(Throwable reason) {
        pool.failWaiters(reason);
    }

    void retire() {
        pool.retire();
    }

    // ---------------------------------------------------------------- the read overlay

    /** A piece of a block range: from a buffer (DATA in a builder's slots, or ZERO/HOLE), or, with no builder and no kind, from the index. */
    record Piece(long startBlock, long endBlock, ExtentKind kind, SegmentBuilder builder, int slot) {
        boolean fromIndex() {
            return builder == null && kind == null;
        }
    }

    /** What the write buffers (newest first) say about blocks {@code [first, end)}; gaps are left to the index. */
    List<Piece> overlay(long first, long end) {
        List<Piece> pieces = new ArrayList<>();
        pieces.add(new Piece(first, end, null, null, -1));
        List<SegmentBuilder> unsettled = unsettledNewestFirst.get();
        List<SegmentBuilder> builders = new ArrayList<>(unsettled.size() + 1);
        if (open != null) {
            builders.add(open);
        }
        builders.addAll(unsettled);
        for (SegmentBuilder builder : builders) {
            List<Piece> next = new ArrayList<>(pieces.size());
            for (Piece p : pieces) {
                if (!p.fromIndex()) {
                    next.add(p);
                    continue;
                }
                long cursor = p.startBlock();
                for (SegmentBuilder.Claim c : builder.claims(p.startBlock(), p.endBlock())) {
                    if (c.startBlock() > cursor) {
                        next.add(new Piece(cursor, c.startBlock(), null, null, -1));
                    }
                    next.add(new Piece(c.startBlock(), c.endBlock(), c.kind(), builder, c.slot()));
                    cursor = c.endBlock();
                }
                if (cursor < p.endBlock()) {
                    next.add(new Piece(cursor, p.endBlock(), null, null, -1));
                }
            }
            pieces = next;
        }
        return pieces;
    }

    /**
     * Copies what the write buffers hold of a read of {@code dst.remaining()} bytes at {@code offset} into {@code dst}
     * and returns the rest of the work, which runs without the lock.
     */
    ReadPlan planRead(long offset, ByteBuffer dst, BlockIndex index, VolumeReads reads) {
        int length = dst.remaining();
        int base = dst.position();
        long first = offset / blockSize;
        long end = (offset + length + blockSize - 1) / blockSize;
        List<Piece> fromIndex = new ArrayList<>();
        for (Piece p : overlay(first, end)) {
            if (p.fromIndex()) {
                fromIndex.add(p);
            } else if (p.kind() == ExtentKind.DATA) {
                for (long b = p.startBlock(); b < p.endBlock(); b++) {
                    long lo = Math.max(b * blockSize, offset);
                    long hi = Math.min((b + 1) * blockSize, offset + length);
                    p.builder().copyTo(p.slot() + (int) (b - p.startBlock()), (int) (lo - b * blockSize), dst,
                            base + (int) (lo - offset), (int) (hi - lo));
                }
            } else {
                VolumeReads.zero(dst, base, offset, length, p.startBlock() * blockSize, p.endBlock() * blockSize);
            }
        }
        return new ReadPlan(reads, index, fromIndex, offset, length, dst, base);
    }

    /** The part of a read left to the index once the buffers were copied: runs without the lock. */
    record ReadPlan(VolumeReads reads, BlockIndex index, List<Piece> fromIndex, long offset, int length,
            ByteBuffer dst, int base) {
        CompletableFuture<Void> fetch() {
            if (fromIndex.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            return reads.readFromIndex(index, fromIndex, offset, length, dst, base);
        }
    }
}
