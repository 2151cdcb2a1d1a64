package io.hyperfile.core.diff;

import io.hyperfile.core.checkpoint.CheckpointLocator;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.Volume;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;

/**
 * Applies a diff file to a destination volume, under the rule of docs/DIFF.md ("Which volume a diff applies to"):
 *
 * <ul>
 *   <li>an incremental diff (base seq &gt; 0) applies only to a volume whose {@link DiffBase} record says it equals
 *       the diff's source volume at the diff's base seq and that was not changed since that import (or that says
 *       this same diff was being applied and did not finish: applying it again completes it);</li>
 *   <li>a full diff (base seq 0) applies to a volume with no extents; with {@code force}, to any volume of the same
 *       block size and size, which is first trimmed whole;</li>
 *   <li>a diff whose target the record already names is a no-op.</li>
 * </ul>
 *
 * Before the first record the destination's record becomes APPLYING; after the last one and a flush (durable) it
 * becomes AT the diff's target. Blocks the calling thread; not for an event loop.
 */
public final class DiffImport {
    private static final int IN_FLIGHT = 8;
    private static final long STATUS_SPAN = 1L << 36;

    private DiffImport() {
    }

    /** What {@link #check} decided: apply (wiping the volume first or not), or nothing to do. */
    public record Plan(boolean alreadyAtTarget, boolean wipeFirst, long destSeqBefore) {
    }

    /** What {@link #apply} did. */
    public record Summary(long records, long dataBytes, long zeroBytes, long destSeq) {
    }

    /**
     * Whether the diff with header {@code h} may be applied to the volume at {@code prefix} (which exists and is not
     * open); throws {@link IllegalStateException} with a one-line reason if not.
     */
    public static Plan check(ObjectStore store, String prefix, DiffHeader h, boolean force) {
        String dk = SegmentKeys.descriptor(prefix);
        VolumeDescriptor desc = store.get(dk, ByteRange.all()).thenApply(d -> VolumeDescriptor.decode(dk, d.data())).join();
        long newest = CheckpointLocator.newestSegment(store, prefix).join();
        SegmentReader reader = new SegmentReader(store, prefix, desc.blockSizeBytes());
        SegmentFooter footer = newest == 0 ? null : reader.footer(newest).join();
        long size = footer == null ? desc.sizeBytes() : footer.volumeSizeBytes();
        if (desc.blockSizeBytes() != h.blockSizeBytes() || size != h.targetSizeBytes()) {
            throw new IllegalStateException("the diff's target has block size " + h.blockSizeBytes() + " and size "
                    + h.targetSizeBytes() + "; the destination has " + desc.blockSizeBytes() + " and " + size);
        }
        DiffBase base = DiffBase.read(store, prefix).join();
        boolean sameSource = base != null && base.sourceVolumeId().equals(h.volumeId());
        if (sameSource && base.state() == DiffBase.State.AT && base.sourceSeq() == h.targetSeq()
                && h.baseSeq() != h.targetSeq()) {
            return new Plan(true, false, newest);
        }
        if (h.isFull()) {
            boolean empty = footer == null || footer.extentCount() == 0;
            if (!empty && !force) {
                throw new IllegalStateException("the destination is not empty and this is a full diff (base seq 0): use"
                        + " --force to replace its whole content");
            }
            return new Plan(false, !empty, newest);
        }
        if (sameSource && base.state() == DiffBase.State.APPLYING && base.baseSeq() == h.baseSeq()
                && base.sourceSeq() == h.targetSeq()) {
            return new Plan(false, false, newest); // finishing an interrupted import of this diff
        }
        if (!sameSource || base.state() != DiffBase.State.AT || base.sourceSeq() != h.baseSeq()) {
            throw new IllegalStateException("the diff applies to volume " + h.volumeId() + " at seq " + h.baseSeq()
                    + "; the destination is " + (base == null ? "not a diff copy (no diffbase record)" : base.toString()));
        }
        if (base.destSeq() != newest && !force
                && !CheckpointDiff.between(store, prefix, base.destSeq(), newest).join().changes().runs().isEmpty()) {
            throw new IllegalStateException("the destination was written after its last import (seq " + base.destSeq()
                    + " -> " + newest + "): its content no longer equals the base; use --force only if that was garbage"
                    + " collection moving blocks");
        }
        return new Plan(false, false, newest);
    }

    /**
     * Applies the records of {@code reader} to {@code dest} (open for writing, at {@code prefix}) under a plan from
     * {@link #check}, then flushes and records the new base. {@code progress} is told the target bytes covered.
     */
    public static Summary apply(ObjectStore store, String prefix, Volume dest, DiffReader reader, Plan plan, Clock clock,
            LongConsumer progress) throws IOException {
        DiffHeader h = reader.header();
        new DiffBase(DiffBase.State.APPLYING, h.blockSizeBytes(), h.volumeId(), h.baseSeq(), h.targetSeq(),
                plan.destSeqBefore(), clock.millis()).write(store, prefix).join();
        ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
        if (plan.wipeFirst()) {
            for (long at = 0; at < dest.sizeBytes(); at += STATUS_SPAN) {
                inFlight.add(dest.trim(at, Math.min(STATUS_SPAN, dest.sizeBytes() - at)));
            }
        }
        for (DiffRecord r = reader.next(); r != null; r = reader.next()) {
            inFlight.add(r.kind() == DiffRecord.Kind.DATA ? dest.write(r.offset(), ByteBuffer.wrap(r.data()))
                    : dest.trim(r.offset(), r.length()));
            while (inFlight.size() > IN_FLIGHT) {
                inFlight.poll().join();
            }
            progress.accept(r.offset() + r.length());
        }
        inFlight.forEach(CompletableFuture::join);
        dest.flush().join();
        long seq = dest.durableSeq().join();
        new DiffBase(DiffBase.State.AT, h.blockSizeBytes(), h.volumeId(), 0, h.targetSeq(), seq, clock.millis())
                .write(store, prefix).join();
        return new Summary(reader.records(), reader.dataBytes(), reader.zeroBytes(), seq);
    }
}
