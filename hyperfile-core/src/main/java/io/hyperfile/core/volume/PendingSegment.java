package io.hyperfile.core.volume;

import io.hyperfile.core.segment.ExtentRecord;
import io.hyperfile.core.segment.SegmentBuilder;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A sealed flush window on its way to the store: first its changes are applied to the index (in seq order), which
 * appends the changed nodes to the segment; then the finished segment is uploaded ({@link UploadWindow}: several at
 * once, landing in any order; it counts as durable once every segment before it is stored too). Until it is
 * durable its builder also serves reads,
 * unless it is a compaction window: its bytes reach readers only through the index, once a move is applied.
 * Touched only on the volume's thread.
 */
final class PendingSegment {
    final SegmentBuilder builder;
    final List<ExtentRecord> records;
    /** For a compaction window: what its records move and from where; null for client writes. */
    final RelocationBatch relocation;
    /** The volume size as of the seal, which the footer records (docs/RESIZE.md). */
    final long sizeBytes;
    /** The finished segment once the index step is done; null before. */
    ByteBuffer bytes;
    /** A create of it is in flight. */
    boolean uploading;
    /** The store has it (segments before it may not be there yet). */
    boolean stored;

    PendingSegment(SegmentBuilder builder, List<ExtentRecord> records, RelocationBatch relocation, long sizeBytes) {
        this.builder = builder;
        this.records = records;
        this.relocation = relocation;
        this.sizeBytes = sizeBytes;
    }

    long seq() {
        return builder.seq();
    }
}
