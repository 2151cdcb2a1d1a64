package io.hyperfile.core.volume;

import io.hyperfile.core.index.BlockIndex;
import io.hyperfile.core.index.Location;
import io.hyperfile.core.index.Run;
import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.segment.SegmentReader;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The part of reads and block status that the index answers: looks the ranges up, zero-fills holes and zero
 * extents without touching the store, and fetches data with as few ranged GETs as the layout allows (runs that are
 * adjacent in one segment share a GET, up to {@code maxGetBytes}; separate GETs run in parallel). Every fetched
 * block is verified. A read whose data comes in many small pieces hands them to {@link ReadDefrag}. Runs on any
 * thread; holds no mutable state of its own.
 */
final class VolumeReads {
    private final SegmentReader segments;
    private final VolumeIndex index;
    private final int blockSize;
    private final int maxGetBlocks;
    /** Where reads of fragmented ranges hand their blocks; null: no read defragmentation. */
    private final ReadDefrag defrag;

    VolumeReads(SegmentReader segments, VolumeIndex index, int blockSize, int maxGetBytes, ReadDefrag defrag) {
        this.segments = segments;
        this.index = index;
        this.blockSize = blockSize;
        this.maxGetBlocks = Math.max(1, maxGetBytes / (blockSize + 4));
        this.defrag = defrag;
    }

    /** Bytes that reads handed to read defragmentation ({@link ReadDefrag#movedBytes}). */
    long defragBytes() {
        return defrag == null ? 0 : defrag.movedBytes();
    }

    /** Runs of each of the block ranges {@code [starts[i], ends[i])} in {@code snapshot}, in order. */
    CompletableFuture<List<List<Run>>> lookup(BlockIndex snapshot, long[] starts, long[] ends) {
        return index.lookup(snapshot, starts, ends);
    }

    /** A run of stored blocks: volume blocks from {@code startBlock}, in segment {@code seq} from {@code slot}. */
    private record DataRun(long seq, long slot, long count, long startBlock) {
    }

    /** Reads the index pieces of a read of {@code [offset, offset + length)} into {@code dst} at {@code base}. */
    CompletableFuture<Void> readFromIndex(BlockIndex snapshot, List<WriteBuffer.Piece> pieces, long offset, int length,
            ByteBuffer dst, int base) {
        long[] starts = new long[pieces.size()];
        long[] ends = new long[pieces.size()];
        for (int i = 0; i < starts.length; i++) {
            starts[i] = pieces.get(i).startBlock();
            ends[i] = pieces.get(i).endBlock();
        }
        return index.lookup(snapshot, starts, ends).thenCompose(lists -> {
            List<DataRun> data = new ArrayList<>();
            for (List<Run> runs : lists) {
                for (Run run : runs) {
                    if (run.readsAsZeroes()) {
                        zero(dst, base, offset, length, run.startBlock() * blockSize, run.endBlock() * blockSize);
                    } else {
                        Location.Data d = run.data();
                        data.add(new DataRun(d.segmentSeq(), d.blockOffset(), run.blockCount(), run.startBlock()));
                    }
                }
            }
            if (data.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            if (data.size() == 1 && data.get(0).count <= maxGetBlocks) {
                return fetch(data, offset, length, dst, base);
            }
            List<ReadDefrag.Piece> moves = defragPieces(data, offset, length);
            List<CompletableFuture<Void>> gets = new ArrayList<>();
            for (List<DataRun> group : gets(data)) {
                gets.add(fetch(group, offset, length, dst, base));
            }
            CompletableFuture<Void> all = CompletableFuture.allOf(gets.toArray(CompletableFuture[]::new));
            // Before the read completes: dst is the caller's once it does.
            return moves == null ? all : all.thenRun(() -> defrag.add(moves, offset, dst, base));
        });
    }

    /** The read's stored pieces if read defragmentation wants them, else null (before {@link #gets} sorts them). */
    private List<ReadDefrag.Piece> defragPieces(List<DataRun> data, long offset, int length) {
        if (defrag == null || data.size() < ReadDefrag.MIN_PIECES) {
            return null;
        }
        List<ReadDefrag.Piece> pieces = new ArrayList<>(data.size());
        for (DataRun d : data) {
            pieces.add(new ReadDefrag.Piece(d.startBlock, d.count, d.seq, d.slot));
        }
        return defrag.wants(offset, length, pieces) ? pieces : null;
    }

    /**
     * The GETs that fetch {@code data}: runs adjacent in one segment share one, up to {@code maxGetBytes}; a longer
     * run is split so that its parts download in parallel.
     */
    private List<List<DataRun>> gets(List<DataRun> data) {
        data.sort(Comparator.comparingLong(DataRun::seq).thenComparingLong(DataRun::slot));
        List<List<DataRun>> out = new ArrayList<>();
        int i = 0;
        while (i < data.size()) {
            DataRun head = data.get(i);
            int j = i + 1;
            long groupEnd = head.slot + head.count;
            while (j < data.size() && data.get(j).seq == head.seq && data.get(j).slot == groupEnd
                    && groupEnd + data.get(j).count - head.slot <= maxGetBlocks) {
                groupEnd += data.get(j).count;
                j++;
            }
            if (j == i + 1 && head.count > maxGetBlocks) {
                for (long done = 0; done < head.count; done += maxGetBlocks) {
                    long n = Math.min(maxGetBlocks, head.count - done);
                    out.add(List.of(new DataRun(head.seq, head.slot + done, n, head.startBlock + done)));
                }
            } else {
                out.add(data.subList(i, j));
            }
            i = j;
        }
        return out;
    }

    /**
     * Read-ahead: fetches the stored data of blocks {@code [first, end)} and drops it, so that a caching store below
     * holds it when the reads get there. Completes with the bytes fetched; never fails (a failed prefetch is only a
     * lost hint).
     */
    CompletableFuture<Long> prefetch(BlockIndex snapshot, long first, long end) {
        return index.lookup(snapshot, new long[] {first}, new long[] {end}).thenCompose(lists -> {
            List<DataRun> data = new ArrayList<>();
            for (Run run : lists.get(0)) {
                if (!run.readsAsZeroes()) {
                    Location.Data d = run.data();
                    data.add(new DataRun(d.segmentSeq(), d.blockOffset(), run.blockCount(), run.startBlock()));
                }
            }
            List<CompletableFuture<Long>> gets = new ArrayList<>();
            for (List<DataRun> group : gets(data)) {
                DataRun a = group.get(0);
                DataRun z = group.get(group.size() - 1);
                gets.add(segments.prefetch(a.seq, a.slot, (int) (z.slot + z.count - a.slot)));
            }
            return CompletableFuture.allOf(gets.toArray(CompletableFuture[]::new))
                    .thenApply(v -> gets.stream().mapToLong(CompletableFuture::join).sum());
        }).exceptionally(e -> 0L);
    }

    /** One GET covering {@code runs} (adjacent in one segment), copied to where each belongs. */
    private CompletableFuture<Void> fetch(List<DataRun> runs, long offset, int length, ByteBuffer dst, int base) {
        DataRun first = runs.get(0);
        DataRun last = runs.get(runs.size() - 1);
        int count = (int) (last.slot + last.count - first.slot);
        List<DataRun> copy = runs.size() == 1 ? runs : List.copyOf(runs);
        // The blocks are lent (the store may reuse their memory): copied out before the reader returns.
        return segments.readVerified(first.seq, first.slot, count, blocks -> {
            for (DataRun r : copy) {
                long lo = Math.max(r.startBlock * blockSize, offset);
                long hi = Math.min((r.startBlock + r.count) * blockSize, offset + length);
                if (hi <= lo) {
                    continue;
                }
                long srcAt = (r.slot - first.slot) * blockSize + (lo - r.startBlock * blockSize);
                blocks.copyTo(srcAt, dst, base + (int) (lo - offset), (int) (hi - lo));
            }
            return null;
        });
    }

    /** Block status for the index pieces, merged with what the buffers said. */
    CompletableFuture<List<BlockStatusRun>> blockStatus(BlockIndex snapshot, List<WriteBuffer.Piece> pieces, long offset, long length) {
        List<WriteBuffer.Piece> fromIndex = pieces.stream().filter(p -> p.fromIndex()).toList();
        long[] starts = fromIndex.stream().mapToLong(WriteBuffer.Piece::startBlock).toArray();
        long[] ends = fromIndex.stream().mapToLong(WriteBuffer.Piece::endBlock).toArray();
        CompletableFuture<List<List<Run>>> lookups = fromIndex.isEmpty()
                ? CompletableFuture.completedFuture(List.of()) : index.lookup(snapshot, starts, ends);
        return lookups.thenApply(lists -> {
            List<BlockStatusRun> out = new ArrayList<>();
            int k = 0;
            for (WriteBuffer.Piece p : pieces) {
                if (p.fromIndex()) {
                    for (Run run : lists.get(k)) {
                        ExtentKind kind = run.isHole() ? ExtentKind.HOLE : run.location().isZero() ? ExtentKind.ZERO : ExtentKind.DATA;
                        add(out, run.startBlock(), run.endBlock(), kind, offset, length);
                    }
                    k++;
                } else {
                    add(out, p.startBlock(), p.endBlock(), p.kind(), offset, length);
                }
            }
            return out;
        });
    }

    private void add(List<BlockStatusRun> out, long startBlock, long endBlock, ExtentKind kind, long offset, long length) {
        long lo = Math.max(startBlock * blockSize, offset);
        long hi = Math.min(endBlock * blockSize, offset + length);
        if (hi <= lo) {
            return;
        }
        if (!out.isEmpty()) {
            BlockStatusRun prev = out.get(out.size() - 1);
            if (prev.kind() == kind && prev.offset() + prev.length() == lo) {
                out.set(out.size() - 1, new BlockStatusRun(prev.offset(), hi - prev.offset(), kind));
                return;
            }
        }
        out.add(new BlockStatusRun(lo, hi - lo, kind));
    }

    /** Zeros the part of {@code dst} (which holds bytes from {@code offset} at {@code base}) that lies in {@code [lo, hi)}. */
    static void zero(ByteBuffer dst, int base, long offset, int length, long lo, long hi) {
        long from = Math.max(lo, offset);
        long to = Math.min(hi, offset + (long) length);
        for (long at = from; at < to; at += ZEROS.length) {
            int n = (int) Math.min(ZEROS.length, to - at);
            dst.put(base + (int) (at - offset), ZEROS, 0, n);
        }
    }

    private static final byte[] ZEROS = new byte[64 << 10];
}
