package io.hyperfile.core.volume;

import io.hyperfile.core.block.ChangeRun;
import io.hyperfile.core.checkpoint.CheckpointRef;
import io.hyperfile.core.index.BlockIndex;
import io.hyperfile.core.index.Location;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.index.Run;
import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ObjectStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which bytes of a range changed since a checkpoint: the range is looked up in the checkpoint's index and in the
 * volume's current state (its index, and its write buffers: buffered data counts as changed, buffered zeroes and trims read as zeroes), and block ranges whose
 * mapping differs are changed (a hole and a zero extent count as equal). Cost: the lookups of the range in both
 * trees, so a request costs what a BLOCK_STATUS of the same range costs, twice.
 *
 * <p>A checkpoint is named by the part of a {@link CheckpointRef} after {@code VOLUME@} ({@code seq:N},
 * {@code SNAPSHOT}, {@code time:ISO}); it is resolved once per name and kept (at most {@value #MAX_BASES} names) for
 * the life of the volume. Thread-safe.
 */
final class ChangeTracker {
    static final int MAX_BASES = 16;

    private final ObjectStore store;
    private final String volume;
    private final VolumeIndex index;
    private final SegmentReader segments;
    private final int blockSize;
    private final Map<String, CompletableFuture<BlockIndex>> bases = new ConcurrentHashMap<>();

    ChangeTracker(ObjectStore store, String prefix, VolumeIndex index, SegmentReader segments, int blockSize) {
        this.store = store;
        this.volume = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        this.index = index;
        this.segments = segments;
        this.blockSize = blockSize;
    }

    /**
     * Whether {@code checkpoint} is a well-formed checkpoint name for {@link Volume#changedSince} ({@code seq:N},
     * {@code SNAPSHOT}, {@code time:ISO}); says nothing about whether it exists.
     */
    static boolean isWellFormed(String checkpoint) {
        try {
            CheckpointRef.parse("v@" + checkpoint);
            return !checkpoint.isEmpty();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The index of checkpoint {@code checkpoint}; fails for a bad name or a checkpoint that does not exist. */
    CompletableFuture<BlockIndex> base(String checkpoint) {
        CompletableFuture<BlockIndex> known = bases.get(checkpoint);
        if (known != null && !known.isCompletedExceptionally()) {
            return known; // a failed one may still be there: its removal runs after the caller saw the failure
        }
        CheckpointRef ref = CheckpointRef.parse(volume + "@" + checkpoint);
        CompletableFuture<BlockIndex> opened = ref.resolve(store).thenCompose(seq -> seq == 0
                ? CompletableFuture.completedFuture(index.empty())
                : segments.footer(seq).thenCompose(f -> index.open(f.rootSeq() == 0 ? null
                        : new NodePointer(f.rootSeq(), f.rootOffset(), f.rootLength()), f.height())));
        // Stored before the removal on failure is registered: a store that fails at once must not leave its failure
        // in the map for good.
        if (known != null) {
            bases.replace(checkpoint, known, opened);
        } else if (bases.size() < MAX_BASES) {
            bases.putIfAbsent(checkpoint, opened);
        }
        opened.whenComplete((b, e) -> {
            if (e != null) {
                bases.remove(checkpoint, opened);
            }
        });
        return opened;
    }

    /** Change runs covering {@code [offset, offset + length)} exactly, against the current {@code snapshot} and buffer {@code pieces}. */
    CompletableFuture<List<ChangeRun>> changedSince(String checkpoint, BlockIndex snapshot, List<WriteBuffer.Piece> pieces,
            long offset, long length) {
        long first = offset / blockSize;
        long end = (offset + length + blockSize - 1) / blockSize;
        List<WriteBuffer.Piece> fromIndex = pieces.stream().filter(WriteBuffer.Piece::fromIndex).toList();
        long[] starts = fromIndex.stream().mapToLong(WriteBuffer.Piece::startBlock).toArray();
        long[] ends = fromIndex.stream().mapToLong(WriteBuffer.Piece::endBlock).toArray();
        CompletableFuture<List<List<Run>>> now = fromIndex.isEmpty() ? CompletableFuture.completedFuture(List.of())
                : index.lookup(snapshot, starts, ends);
        CompletableFuture<List<Run>> then = base(checkpoint).thenCompose(b -> index.lookup(b, new long[] {first}, new long[] {end}))
                .thenApply(l -> l.get(0));
        return now.thenCombine(then, (lists, baseRuns) -> {
            List<Run> current = new ArrayList<>();
            int k = 0;
            for (WriteBuffer.Piece p : pieces) {
                if (p.fromIndex()) {
                    current.addAll(lists.get(k++));
                } else {
                    current.add(new Run(p.startBlock(), p.endBlock() - p.startBlock(),
                            p.kind() == ExtentKind.DATA ? BUFFERED : Location.ZERO));
                }
            }
            return compare(current, baseRuns, offset, length);
        });
    }

    /** Marks a buffered piece: never equal to anything in the checkpoint. */
    private static final Location BUFFERED = new Location.Data(0, 0);

    private List<ChangeRun> compare(List<Run> current, List<Run> base, long offset, long length) {
        List<ChangeRun> out = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < current.size() && j < base.size()) {
            Run c = current.get(i);
            Run b = base.get(j);
            long lo = Math.max(c.startBlock(), b.startBlock());
            long hi = Math.min(c.endBlock(), b.endBlock());
            if (lo < hi) {
                add(out, lo, hi, !same(c, b, lo), offset, length);
            }
            if (c.endBlock() <= b.endBlock()) {
                i++;
            }
            if (b.endBlock() <= c.endBlock()) {
                j++;
            }
        }
        return out;
    }

    private static boolean same(Run c, Run b, long at) {
        if (c.location() == BUFFERED) {
            return false;
        }
        if (c.readsAsZeroes() || b.readsAsZeroes()) {
            return c.readsAsZeroes() && b.readsAsZeroes();
        }
        return c.data().advance(at - c.startBlock()).equals(b.data().advance(at - b.startBlock()));
    }

    private void add(List<ChangeRun> out, long startBlock, long endBlock, boolean changed, long offset, long length) {
        long lo = Math.max(startBlock * blockSize, offset);
        long hi = Math.min(endBlock * blockSize, offset + length);
        if (hi <= lo) {
            return;
        }
        if (!out.isEmpty()) {
            ChangeRun prev = out.get(out.size() - 1);
            if (prev.changed() == changed && prev.end() == lo) {
                out.set(out.size() - 1, new ChangeRun(prev.offset(), hi - prev.offset(), changed));
                return;
            }
        }
        out.add(new ChangeRun(lo, hi - lo, changed));
    }
}
