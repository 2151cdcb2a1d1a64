package io.hyperfile.core.volume;

import io.hyperfile.core.index.Location;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read defragmentation (docs/PERFORMANCE.md, "Read defragmentation"): a read whose stored blocks come in many
 * small pieces hands a copy of them, with where each piece was read from, to a batch; once the batch holds
 * {@code batchBytes}, it is written as one relocation window ({@link Volume#relocate}, the same move that garbage
 * collection makes), which stores the batch's block ranges contiguously. A later read of those ranges is then one
 * ranged GET per range instead of one per piece. A move applies to a block only where the index still maps it to
 * where the read found it, so a write, zero or trim since always wins, and a stale copy is never stored as current.
 *
 * <p>Bounds: a read qualifies when it is block-aligned, its stored data is at least {@value #MIN_PIECES} pieces and
 * the pieces average under {@value #MAX_AVERAGE_PIECE_BYTES} bytes; pieces of that size or more stay where they
 * are. The batch holds at most {@code batchBytes} of
 * copies (at most one segment's blocks): the pieces of a read that do not fit are left out, and the batch is then
 * written. One batch is written at a time, and nothing is taken while the writer's buffer is over half full or the
 * volume does not accept writes ({@code canMove}); what finds no room is not defragmented now, and a later read of
 * the same range may be. Copies of blocks waiting in an unfinished batch are dropped when the volume closes (they
 * are only copies).
 *
 * <p>Thread-safe: reads complete on any thread.
 */
final class ReadDefrag {
    private static final Logger LOG = LoggerFactory.getLogger(ReadDefrag.class);
    static final int MIN_PIECES = 8;
    static final int MAX_AVERAGE_PIECE_BYTES = 32 << 10;

    /** One stored piece of a read: volume blocks from {@code startBlock}, read from {@code seq} at {@code slot}. */
    record Piece(long startBlock, long count, long seq, long slot) {
    }

    private final int blockSize;
    private final long batchBlocks;
    private final BooleanSupplier canMove;
    private final Function<RelocationBatch, CompletableFuture<Void>> relocate;
    /** The batch being filled: disjoint runs by start block. */
    private final TreeMap<Long, Relocation> batch = new TreeMap<>();
    private long batchBlocksHeld;
    private boolean writing;
    private final AtomicLong movedBytes = new AtomicLong();

    /**
     * @param batchBytes bytes of blocks per relocation window (0: off); at most {@code maxBatchBlocks} blocks
     */
    ReadDefrag(int blockSize, long batchBytes, int maxBatchBlocks, BooleanSupplier canMove,
            Function<RelocationBatch, CompletableFuture<Void>> relocate) {
        this.blockSize = blockSize;
        this.batchBlocks = Math.min(batchBytes / blockSize, maxBatchBlocks);
        this.canMove = canMove;
        this.relocate = relocate;
    }

    /** Whether a read of {@code [offset, offset + length)} whose stored data is {@code pieces} qualifies. */
    boolean wants(long offset, int length, List<Piece> pieces) {
        if (batchBlocks < MIN_PIECES || pieces.size() < MIN_PIECES || offset % blockSize != 0 || length % blockSize != 0) {
            return false;
        }
        long blocks = 0;
        for (Piece p : pieces) {
            blocks += p.count();
        }
        return blocks * blockSize < (long) pieces.size() * MAX_AVERAGE_PIECE_BYTES;
    }

    /**
     * Adds the pieces of a completed read to the batch as far as they fit, copying their blocks from {@code dst}
     * (which holds the read's bytes from {@code offset} at {@code base}); writes the batch once it is full.
     */
    void add(List<Piece> pieces, long offset, ByteBuffer dst, int base) {
        try {
            collect(pieces, offset, dst, base);
        } catch (RuntimeException e) {
            // A move is an optimisation: whatever goes wrong with it must not fail the read that offered it.
            LOG.warn("read defragmentation skipped a read: {}", e.toString());
        }
    }

    private void collect(List<Piece> pieces, long offset, ByteBuffer dst, int base) {
        if (!canMove.getAsBoolean()) {
            return;
        }
        RelocationBatch full;
        synchronized (this) {
            boolean noRoom = false;
            for (Piece p : pieces) {
                if (p.count() * blockSize >= MAX_AVERAGE_PIECE_BYTES) {
                    continue; // already large: moving it would gain little
                }
                if (batchBlocksHeld + p.count() > batchBlocks) {
                    noRoom = true; // a read larger than the batch (or a full batch): the rest may come with a later read
                    continue;
                }
                if (overlapsBatch(p)) {
                    continue; // the same blocks from an earlier read: the batch holds them already
                }
                ByteBuffer copy = ByteBuffer.allocate(Math.toIntExact(p.count() * blockSize));
                int from = base + Math.toIntExact(p.startBlock() * blockSize - offset);
                copy.put(0, dst, from, copy.capacity());
                batch.put(p.startBlock(), new Relocation(p.startBlock(), Math.toIntExact(p.count()),
                        new Location.Data(p.seq(), p.slot()), copy));
                batchBlocksHeld += p.count();
            }
            if (writing || batch.isEmpty() || (batchBlocksHeld < batchBlocks && !noRoom)) {
                return;
            }
            full = takeBatch();
        }
        write(full);
    }

    private boolean overlapsBatch(Piece p) {
        Map.Entry<Long, Relocation> before = batch.floorEntry(p.startBlock() + p.count() - 1);
        return before != null && before.getValue().endBlock() > p.startBlock();
    }

    /** Under the lock: the whole batch as one relocation window. */
    private RelocationBatch takeBatch() {
        List<Relocation> runs = new ArrayList<>(batch.values());
        batch.clear();
        batchBlocksHeld = 0;
        writing = true;
        return new RelocationBatch(runs, new long[0], Set.of());
    }

    private void write(RelocationBatch b) {
        long bytes = (long) b.blockCount() * blockSize;
        // Counted when handed over (before the read that filled the batch completes), taken back if refused.
        movedBytes.addAndGet(bytes);
        CompletableFuture<Void> done;
        try {
            done = relocate.apply(b);
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        done.whenComplete((v, e) -> {
            if (e != null) {
                movedBytes.addAndGet(-bytes);
                LOG.debug("a read defragmentation window was not written: {}", e.toString());
            }
            synchronized (this) {
                writing = false;
            }
        });
    }

    /**
     * Bytes of blocks handed to relocation windows, less those the volume refused (each block moves only if still
     * current when its window is indexed).
     */
    long movedBytes() {
        return movedBytes.get();
    }
}
