package io.hyperfile.core.volume;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.index.BlockIndex;
import io.hyperfile.core.index.Extent;
import io.hyperfile.core.index.IndexAccess;
import io.hyperfile.core.index.LivenessSink;
import io.hyperfile.core.index.Location;
import io.hyperfile.core.index.MutableBlockIndex;
import io.hyperfile.core.index.NodeCache;
import io.hyperfile.core.index.NodeCodec;
import io.hyperfile.core.index.NodeCorruptionException;
import io.hyperfile.core.index.NodeLimits;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.index.Prefetch;
import io.hyperfile.core.index.Run;
import io.hyperfile.core.index.SaveResult;
import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.segment.ExtentRecord;
import io.hyperfile.core.segment.SegmentBuilder;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * The volume's view of its index: nodes live in segments in the store and are fetched, verified and cached on
 * demand; changes are applied per flush window and their nodes written into that window's segment. Thread-safe
 * (the index snapshots are immutable; the node cache is synchronized).
 */
final class VolumeIndex {
    private final IndexAccess access;
    private final NodeLimits limits;
    private final String prefix;

    VolumeIndex(ObjectStore store, String prefix, NodeLimits limits, long cacheBytes, Executor retryExecutor) {
        this.limits = limits;
        this.prefix = prefix;
        this.access = new IndexAccess(new NodeCodec(limits), new NodeCache(cacheBytes),
                p -> store.get(SegmentKeys.segment(prefix, p.segmentSeq()), ByteRange.of(p.offset(), p.length()))
                        .thenApply(d -> d.data()),
                retryExecutor);
    }

    BlockIndex empty() {
        return BlockIndex.empty(limits);
    }

    /** The index whose root is {@code root} (null: empty). */
    CompletableFuture<BlockIndex> open(NodePointer root, int height) {
        return root == null ? CompletableFuture.completedFuture(empty()) : named(access.open(root, height));
    }

    /** A window applied to the index (not yet saved), and what it changed in the segments' live bytes. */
    /** An applied window: the changed index, what it made live and dead, and the saved nodes it replaced. */
    record Applied(MutableBlockIndex mutable, WindowLiveness liveness, List<NodePointer> replaced) {
    }

    /**
     * Forgets cached nodes that an applied window replaced, once the index it made is published: nothing reads them
     * any more, and left to the cache's LRU order they crowd out live nodes and, living for seconds, cost every young
     * garbage collection a copy (docs/PERFORMANCE.md, "Replaced index nodes, and no wake-ups under the volume's
     * lock").
     */
    void forget(List<NodePointer> replaced) {
        access.cache().removeAll(replaced);
    }

    /** Passes a window's liveness on and keeps the saved nodes it replaced, or dropped whole, for {@link #forget}. */
    private static final class Replacements implements LivenessSink {
        private final WindowLiveness liveness;
        private final List<NodePointer> replaced = new ArrayList<>();

        Replacements(WindowLiveness liveness) {
            this.liveness = liveness;
        }

        @Override
        public void data(long segmentSeq, long count) {
            liveness.data(segmentSeq, count);
        }

        @Override
        public void nodeDropped(NodePointer pointer) {
            liveness.nodeDropped(pointer);
            replaced.add(pointer);
        }

        @Override
        public void subtreeDropped(NodePointer pointer) {
            liveness.subtreeDropped(pointer);
            replaced.add(pointer);
        }

        Applied applied(MutableBlockIndex m) {
            return new Applied(m, liveness, replaced);
        }
    }

    /** {@code base} with a flush window's changes applied (not yet saved). */
    CompletableFuture<MutableBlockIndex> apply(BlockIndex base, long seq, List<ExtentRecord> records) {
        return applyWindow(base, seq, records).thenApply(Applied::mutable);
    }

    /** {@code base} with a flush window's changes applied, tracking what they make live and dead. */
    CompletableFuture<Applied> applyWindow(BlockIndex base, long seq, List<ExtentRecord> records) {
        Prefetch paths = Prefetch.forUpdate(base, records, ExtentRecord::startBlock, ExtentRecord::blockCount);
        return named(access.run(paths, r -> {
            Replacements changes = new Replacements(new WindowLiveness(seq)); // per attempt: a retry starts from base
            MutableBlockIndex m = base.toMutable();
            m.trackLiveness(changes);
            List<Extent> data = new ArrayList<>();
            for (ExtentRecord rec : records) {
                if (rec.kind() == ExtentKind.DATA) {
                    // The window's data runs: sorted, disjoint, maximal, in a new segment (SegmentBuilder.seal).
                    data.add(new Extent(rec.startBlock(), rec.blockCount(), Location.data(seq, rec.dataBlockOffset())));
                    continue;
                }
                if (!data.isEmpty()) {
                    m.putAll(r, data);
                    data.clear();
                }
                switch (rec.kind()) {
                    case ZERO -> m.put(r, rec.startBlock(), rec.blockCount(), Location.ZERO);
                    case HOLE -> m.remove(r, rec.startBlock(), rec.blockCount());
                    default -> throw new IllegalStateException("unknown kind " + rec.kind());
                }
            }
            if (!data.isEmpty()) {
                m.putAll(r, data);
            }
            return changes.applied(m);
        }));
    }

    /**
     * {@code base} with a compaction window applied: each of the window's block runs is mapped to its new place only
     * where the index still maps it to where the move read it from (a client write indexed since wins; the slot it
     * would have used stays dead). Then the index paths named by the batch are copied, so that {@link #save} writes
     * them into this segment.
     */
    CompletableFuture<Applied> applyRelocation(BlockIndex base, long seq, List<ExtentRecord> records,
            RelocationBatch batch) {
        java.util.Map<Long, Location> from = new java.util.HashMap<>(batch.blockCount() * 2);
        for (Relocation r : batch.runs()) {
            for (int i = 0; i < r.blockCount(); i++) {
                from.put(r.startBlock() + i, r.from().advance(i));
            }
        }
        List<long[]> ranges = new ArrayList<>(records.size() + batch.rewriteKeys().length);
        for (ExtentRecord rec : records) {
            ranges.add(new long[] {rec.startBlock(), rec.blockCount()});
        }
        for (long key : batch.rewriteKeys()) {
            ranges.add(new long[] {key, 1});
        }
        Prefetch paths = Prefetch.forUpdate(base, ranges, r -> r[0], r -> r[1]);
        return named(access.run(paths, r -> {
            Replacements changes = new Replacements(new WindowLiveness(seq));
            MutableBlockIndex m = base.toMutable();
            m.trackLiveness(changes);
            List<Extent> moved = new ArrayList<>();
            List<Extent> zeros = new ArrayList<>();
            for (ExtentRecord rec : records) {
                long runStart = -1;
                for (Run run : base.lookup(r, rec.startBlock(), rec.blockCount())) {
                    for (long b = run.startBlock(); b < run.endBlock(); b++) {
                        boolean stillThere = !run.isHole() && run.location().advance(b - run.startBlock()).equals(from.get(b));
                        if (stillThere && runStart < 0) {
                            runStart = b;
                        } else if (!stillThere && runStart >= 0) {
                            (rec.kind() == ExtentKind.DATA ? moved : zeros).add(movedExtent(seq, rec, runStart, b));
                            runStart = -1;
                        }
                    }
                }
                if (runStart >= 0) {
                    (rec.kind() == ExtentKind.DATA ? moved : zeros).add(movedExtent(seq, rec, runStart, rec.endBlock()));
                }
            }
            // Every window before this one is indexed in base, and nothing else is in this window: base decides.
            m.putAll(r, moved);
            for (Extent z : zeros) {
                m.put(r, z.startBlock(), z.blockCount(), Location.ZERO);
            }
            for (long key : batch.rewriteKeys()) {
                m.rewritePathThrough(r, key, batch.victims());
            }
            return changes.applied(m);
        }));
    }

    private static Extent movedExtent(long seq, ExtentRecord rec, long start, long end) {
        Location to = rec.kind() == ExtentKind.DATA ? Location.data(seq, rec.dataBlockOffset() + (start - rec.startBlock()))
                : Location.ZERO;
        return new Extent(start, end - start, to);
    }

    record Saved(BlockIndex index, int nodesWritten, long bytesWritten) {
    }

    /** Writes the changed nodes into the segment being built and returns the new index. */
    Saved save(MutableBlockIndex mutable, long seq, SegmentBuilder builder) {
        SaveResult result = access.save(mutable, seq, builder::appendNode);
        return new Saved(result.index(), result.nodesWritten(), result.bytesWritten());
    }

    /** Runs of each of the block ranges {@code [starts[i], ends[i])}, in order. */
    CompletableFuture<List<List<Run>>> lookup(BlockIndex index, long[] starts, long[] ends) {
        return named(access.run(Prefetch.forRead(index, starts, ends), r -> {
            List<List<Run>> out = new ArrayList<>(starts.length);
            for (int i = 0; i < starts.length; i++) {
                out.add(index.lookup(r, starts[i], ends[i] - starts[i]));
            }
            return out;
        }));
    }

    /** Index corruption names the node's segment object, like every other corruption report. */
    private <T> CompletableFuture<T> named(CompletableFuture<T> f) {
        if (f.isDone() && !f.isCompletedExceptionally()) {
            return f; // the usual read, every node in the cache: no stage to add
        }
        return f.handle((v, e) -> {
            if (e == null) {
                return v;
            }
            Throwable cause = Exceptions.unwrap(e);
            if (cause instanceof NodeCorruptionException nc) {
                throw new CorruptionException(SegmentKeys.segment(prefix, nc.segmentSeq()), nc.pointer().offset(),
                        "index node: " + nc.getMessage(), nc);
            }
            throw e instanceof CompletionException ce ? ce : new CompletionException(cause);
        });
    }

    IndexAccess access() {
        return access;
    }
}
