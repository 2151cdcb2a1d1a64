package io.hyperfile.core.diff;

import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.index.ChangedRuns;
import io.hyperfile.core.index.IndexDiff;
import io.hyperfile.core.index.NodeCodec;
import io.hyperfile.core.index.NodeLimits;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectStore;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The blocks that changed between two checkpoints of one volume, found from their index trees
 * ({@link IndexDiff#changedRuns}): only nodes that are in one tree and not the other are read, so the cost follows
 * the changes, not the volume size. Reads the descriptor, the two footers, and the unshared nodes. Either seq may be
 * 0 (the empty volume, every block a hole), and {@code from} may be newer than {@code to} (the diff that undoes).
 *
 * <p>Stateless and thread-safe.
 */
public final class CheckpointDiff {
    private CheckpointDiff() {
    }

    /**
     * What changed from checkpoint {@code fromSeq} to {@code toSeq}.
     *
     * @param volumeId       the volume's id (from its descriptor)
     * @param blockSizeBytes the volume's block size
     * @param fromSizeBytes  the volume size at {@code fromSeq}
     * @param toSizeBytes    the volume size at {@code toSeq}
     * @param changes        the changed block runs (of {@code toSeq}'s content) and the nodes read
     */
    public record Result(UUID volumeId, int blockSizeBytes, long fromSeq, long toSeq, long fromSizeBytes,
            long toSizeBytes, ChangedRuns changes) {
    }

    /** The diff of volume {@code prefix} from {@code fromSeq} to {@code toSeq}; fails if a footer or node is unreadable. */
    public static CompletableFuture<Result> between(ObjectStore store, String prefix, long fromSeq, long toSeq) {
        String dk = SegmentKeys.descriptor(prefix);
        return store.get(dk, ByteRange.all()).thenApply(d -> VolumeDescriptor.decode(dk, d.data())).thenCompose(desc -> {
            SegmentReader reader = new SegmentReader(store, prefix, desc.blockSizeBytes());
            NodeCodec codec = new NodeCodec(NodeLimits.ofNodeBytes(desc.maxNodeBytes()));
            CompletableFuture<SegmentFooter> from = footer(reader, fromSeq);
            CompletableFuture<SegmentFooter> to = footer(reader, toSeq);
            return from.thenCombine(to, (f, t) -> new SegmentFooter[] {f, t}).thenCompose(ft -> {
                IndexDiff.NodeSource nodes = p -> store.get(SegmentKeys.segment(prefix, p.segmentSeq()),
                        ByteRange.of(p.offset(), p.length())).thenApply(d -> codec.decode(p, d.data()));
                return IndexDiff.changedRuns(nodes, root(ft[0]), root(ft[1]), n -> CompletableFuture.completedFuture(null))
                        .thenApply(runs -> new Result(desc.volumeId(), desc.blockSizeBytes(), fromSeq, toSeq,
                                size(ft[0], desc), size(ft[1], desc), runs));
            });
        });
    }

    private static CompletableFuture<SegmentFooter> footer(SegmentReader reader, long seq) {
        if (seq < 0) {
            throw new IllegalArgumentException("checkpoint seq must be non-negative. seq=" + seq);
        }
        return seq == 0 ? CompletableFuture.completedFuture(null) : reader.footer(seq);
    }

    /** The index root of a checkpoint (null: empty index, also for seq 0). */
    static NodePointer root(SegmentFooter f) {
        return f == null || f.rootSeq() == 0 ? null : new NodePointer(f.rootSeq(), f.rootOffset(), f.rootLength());
    }

    private static long size(SegmentFooter f, VolumeDescriptor desc) {
        return f == null ? desc.sizeBytes() : f.volumeSizeBytes();
    }
}
