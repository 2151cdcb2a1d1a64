package io.hyperfile.core.segment;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.format.Crc32c;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where a complete segment object keeps the data of its long runs: the byte ranges that hold nothing but blocks of
 * DATA records of at least a given length. The local read cache leaves those out of its write-through (a sequential
 * stream pushes hot chunks out of the cache and costs a copy per byte written; docs/CACHE.md, "Sequential cutoff").
 *
 * <p>Version 1 segments: a run's slots, each block with its checksum. Version 3 (framed): the frames whose slots all
 * belong to one long run. A range never includes the header, frame directory, index nodes, extent table or footer.
 * Pure function of the bytes; thread-safe.
 */
public final class SegmentRuns {
    private SegmentRuns() {
    }

    /**
     * The ranges {@code [from, to)} (flattened: from, to, from, to, ...; by offset, disjoint) of {@code object}
     * (position to limit: the whole segment {@code seq} under {@code key}) that hold only data of DATA records of at
     * least {@code minRunBytes} bytes (1 or more).
     *
     * @throws CorruptionException if the object is not a well-formed segment {@code seq}
     */
    public static long[] longRunRanges(String key, long seq, ByteBuffer object, long minRunBytes) {
        ByteBuffer b = object.slice().order(ByteOrder.LITTLE_ENDIAN);
        long size = b.remaining();
        if (size < SegmentHeader.BYTES + SegmentFooter.BYTES) {
            throw new CorruptionException(key, 0, "segment of " + size + " bytes is too short");
        }
        SegmentHeader header = SegmentHeader.decode(key, b.duplicate().position(0));
        int bs = header.blockSizeBytes();
        long minBlocks = Math.max(1, minRunBytes / bs + (minRunBytes % bs != 0 ? 1 : 0));
        int footerAt = (int) (size - SegmentFooter.BYTES);
        SegmentFooter footer = SegmentFooter.decode(key, footerAt, b.duplicate().position(footerAt).limit((int) size),
                seq, size);
        int tableAt = (int) footer.extentTableOffset();
        int tableLength = (int) footer.extentTableLength();
        int crc = Crc32c.ofRange(b, tableAt, tableAt + tableLength);
        if (crc != footer.extentTableCrc() || tableLength % ExtentRecord.BYTES != 0) {
            throw CorruptionException.checksum(key, tableAt, "extent table", footer.extentTableCrc(), crc);
        }
        List<long[]> slotRuns = new ArrayList<>();
        for (int at = tableAt; at < tableAt + tableLength; at += ExtentRecord.BYTES) {
            long count = b.getLong(at + 9);
            if (b.get(at) == ExtentKind.DATA.code() && count >= minBlocks) {
                long first = b.getLong(at + 17);
                if (first < 0 || count > footer.dataBlockCount() - first) {
                    throw new CorruptionException(key, at, "extent record names slots " + first + ".." + (first + count)
                            + " of " + footer.dataBlockCount());
                }
                slotRuns.add(new long[] {first, first + count});
            }
        }
        slotRuns.sort((x, y) -> Long.compare(x[0], y[0]));
        long[] ranges = new long[slotRuns.size() * 2];
        int n = 0;
        FrameDirectory frames = header.isFramed() ? FrameDirectory.decode(key, seq, header.blockSizeBytes(),
                header.blocksPerFrame(), b.duplicate().position(SegmentHeader.BYTES).limit((int) footer.nodeOffset())) : null;
        long stride = header.blockSizeBytes() + 4L;
        for (long[] run : slotRuns) {
            long from;
            long to;
            if (frames == null) {
                from = SegmentHeader.BYTES + run[0] * stride;
                to = SegmentHeader.BYTES + run[1] * stride;
            } else {
                // Whole frames only: a frame shared with another run holds that run's blocks too.
                int containing = frames.frameOf(run[0]);
                int firstFrame = frames.firstSlot(containing) == run[0] ? containing : containing + 1;
                int endFrame = run[1] == frames.slots() ? frames.frameCount() : frames.frameOf(run[1]);
                if (firstFrame >= endFrame) {
                    continue;
                }
                from = frames.offset(firstFrame);
                to = frames.offset(endFrame - 1) + frames.storedLength(endFrame - 1);
            }
            if (to > footer.nodeOffset()) {
                throw new CorruptionException(key, footer.nodeOffset(), "data of slots " + run[0] + ".." + run[1]
                        + " would end at " + to + ", after the data section");
            }
            ranges[n++] = from;
            ranges[n++] = to;
        }
        return n == ranges.length ? ranges : Arrays.copyOf(ranges, n);
    }
}
