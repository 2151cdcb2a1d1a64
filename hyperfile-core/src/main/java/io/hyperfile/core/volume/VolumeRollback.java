package io.hyperfile.core.volume;

import io.hyperfile.core.checkpoint.CheckpointLocator;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.gc.CheckpointPresence;
import io.hyperfile.core.gc.LiveTables;
import io.hyperfile.core.segment.SegmentBuilder;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Makes an older checkpoint the volume's current state (docs/POINT-IN-TIME.md, "Rollback"): writes one new segment,
 * holding no data and no nodes, whose footer carries the target checkpoint's index root, height, counts and volume
 * size. Nothing is copied and nothing is deleted, so the checkpoint that was newest stays readable as an older one
 * (for the GC grace period, or for ever if a snapshot pins it) and a rollback to it undoes this one.
 *
 * <p>Safety. The target must be whole: its segment and every segment its index reaches must still exist
 * ({@link CheckpointPresence}), else the rollback is refused. The segment is created conditionally as seq
 * newest + 1, so a writer that stored a segment meanwhile makes it fail (and a writer that comes later is fenced, as
 * by any other writer). The rollback makes nodes and extents that later checkpoints had dropped reachable again,
 * which the garbage collector's incremental live table assumes never happens: the stored live tables are deleted
 * ({@link LiveTables#invalidate}) so that the next pass walks the index trees. The volume must not be open for
 * writing anywhere (a writer there is fenced). Stateless.
 */
public final class VolumeRollback {
    private VolumeRollback() {
    }

    /** What a rollback did: the newest checkpoint before it, the checkpoint rolled back to, and the new one. */
    public record Result(long previousSeq, long targetSeq, long newSeq, long sizeBytes) {
    }

    /**
     * Rolls the volume under {@code prefix} back to checkpoint {@code targetSeq} (0: the empty volume). Fails with
     * {@code ObjectNotFoundException} if the target is not whole, with {@code ObjectExistsException} if another
     * writer stored a segment meanwhile, and with {@link IllegalArgumentException} if the target is the newest
     * checkpoint or newer.
     */
    public static CompletableFuture<Result> rollback(ObjectStore store, String prefix, long targetSeq, Clock clock) {
        String p = SegmentKeys.normalizePrefix(prefix);
        String dk = SegmentKeys.descriptor(p);
        return store.get(dk, ByteRange.all()).thenApply(d -> VolumeDescriptor.decode(dk, d.data()))
                .thenCompose(desc -> CheckpointLocator.locate(store, p).thenCompose(located -> {
                    long newest = located.checkpoint();
                    if (targetSeq >= newest) {
                        throw new IllegalArgumentException("checkpoint " + targetSeq + " is " + (targetSeq == newest
                                ? "the newest already" : "newer than the newest (" + newest + ")") + ": nothing to roll back");
                    }
                    return CheckpointPresence.verify(store, p, desc, targetSeq).thenCompose(target -> {
                        long seq = located.highest() + 1; // above any orphan: a seq is never reused
                        ByteBuffer bytes = emptySegment(desc, seq, target, clock.millis());
                        return store.create(SegmentKeys.segment(p, seq), bytes)
                                .thenCompose(v -> LiveTables.invalidate(store, p))
                                .thenApply(v -> new Result(newest, targetSeq, seq,
                                        target == null ? desc.sizeBytes() : target.volumeSizeBytes()));
                    });
                }));
    }

    /** Segment {@code seq} with no data and no nodes whose checkpoint is {@code target}'s (null: the empty volume). */
    static ByteBuffer emptySegment(VolumeDescriptor desc, long seq, SegmentFooter target, long createdMillis) {
        int bs = desc.blockSizeBytes();
        SegmentBuilder b = new SegmentBuilder(ByteBuffer.allocate(SegmentBuilder.minimumCapacity(bs, 1)), bs, 1, seq,
                desc.volumeId(), UUID.randomUUID(), ByteBuffer.allocate(bs).asReadOnlyBuffer(), desc.encoding());
        List<io.hyperfile.core.segment.ExtentRecord> records = b.seal();
        long size = target == null ? desc.sizeBytes() : target.volumeSizeBytes();
        return b.finish(records, (dataOffset, dataBlocks, nodeOffset, nodeLength, tableOffset, tableLength, headerCrc,
                blockCrcsCrc, nodeCrc, tableCrc) -> new SegmentFooter(seq, size, dataOffset, dataBlocks, nodeOffset,
                nodeLength, tableOffset, tableLength, target == null ? 0 : target.rootSeq(),
                target == null ? 0 : target.rootOffset(), target == null ? 0 : target.rootLength(),
                target == null ? 0 : target.height(), target == null ? 0 : target.extentCount(),
                target == null ? 0 : target.mappedBlocks(), createdMillis, headerCrc, blockCrcsCrc, nodeCrc, tableCrc));
    }
}
