package io.hyperfile.core.gc;

import java.util.List;

/**
 * Where a volume's stored bytes go, as measured by {@link SpaceAccounting}. The definitions (docs/GC.md, "Space
 * accounting"):
 * <ul>
 *   <li>a segment's <em>live bytes</em> are its reachable data slots × (block size + 4), plus the bytes of its
 *   reachable index nodes, plus its overhead (64-byte header, extent table, 160-byte footer) if any of those is
 *   reachable or the segment is a retained checkpoint (the newest segment or a snapshot's, whose footer is the
 *   checkpoint);</li>
 *   <li>the descriptor, the head hint, the serving lease and the snapshot records are live in full; any other
 *   object under the volume's prefix is garbage;</li>
 *   <li>{@code garbageBytes = storedBytes − liveBytes}; space amplification is {@code storedBytes / liveBytes}.</li>
 * </ul>
 * Immutable.
 *
 * @param logicalSizeBytes    the volume's size as of its newest checkpoint
 * @param mappedBytes         bytes the newest checkpoint maps (data and zero extents)
 * @param liveBytes           bytes reachable from a retained checkpoint, as defined above
 * @param storedBytes         bytes of every object under the volume's prefix (from one listing)
 * @param objectCount         objects under the volume's prefix
 * @param segmentCount        segment objects
 * @param retainedCheckpoints seqs of the retained checkpoints, ascending (newest and snapshots; 0 is the empty volume)
 * @param segments            every segment's figures, by seq
 * @param unreferencedSegments seqs of segments with no live byte at all: deletable as a whole, ascending
 * @param otherObjects        keys under the prefix that are not part of the volume's format (garbage)
 * @param problems            referenced objects that are missing or unreadable; empty when the accounting is complete
 */
public record SpaceReport(long logicalSizeBytes, long mappedBytes, long liveBytes, long storedBytes, long objectCount,
        long segmentCount, List<Long> retainedCheckpoints, List<SegmentSpace> segments, List<Long> unreferencedSegments,
        List<String> otherObjects, List<Problem> problems) {

    public SpaceReport {
        retainedCheckpoints = List.copyOf(retainedCheckpoints);
        segments = List.copyOf(segments);
        unreferencedSegments = List.copyOf(unreferencedSegments);
        otherObjects = List.copyOf(otherObjects);
        problems = List.copyOf(problems);
    }

    public long garbageBytes() {
        return storedBytes - liveBytes;
    }

    /** Stored bytes per live byte (1.0 = no garbage); 0 when nothing is live. */
    public double spaceAmplification() {
        return liveBytes == 0 ? 0 : (double) storedBytes / liveBytes;
    }

    /** Bytes of the segments with no live byte: what deleting whole objects would free, without compaction. */
    public long unreferencedBytes() {
        return segments.stream().filter(s -> !s.isLive()).mapToLong(SegmentSpace::storedBytes).sum();
    }

    public boolean isComplete() {
        return problems.isEmpty();
    }

    /**
     * One segment's figures.
     *
     * @param liveSlots     data slots some retained checkpoint maps
     * @param liveNodeBytes bytes of index nodes some retained checkpoint reaches
     * @param overheadBytes header + extent table + footer, counted when the segment is live (else 0)
     * @param checkpoint    the segment is a retained checkpoint (always live)
     */
    public record SegmentSpace(long seq, long storedBytes, long liveSlots, long liveDataBytes, long liveNodeBytes,
            long overheadBytes, boolean checkpoint) {
        public long liveBytes() {
            return liveDataBytes + liveNodeBytes + overheadBytes;
        }

        public boolean isLive() {
            return checkpoint || liveSlots > 0 || liveNodeBytes > 0;
        }
    }

    /**
     * A referenced object that is missing or unreadable, found while walking checkpoint {@code checkpointSeq}
     * (the first retained checkpoint whose walk reached it: the newest is walked first); {@code checkpointSeq} is 0
     * for an unreadable snapshot record and −1 for a live segment whose footer does not match what points into it.
     */
    public record Problem(long checkpointSeq, String message) {
        @Override
        public String toString() {
            return message;
        }
    }
}
