package io.hyperfile.core.segment;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.format.Crc32c;
import io.hyperfile.core.format.FormatVersion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;


/**
 * The fixed 160-byte footer that closes every segment and makes it a checkpoint: where each section is, the
 * index root as of this flush, the volume size, counters, and a CRC32C of every section. One suffix GET of
 * {@value #BYTES} bytes reads it. Little-endian:
 *
 * <pre>
 * offset size field
 *   0     8   magic "HFFOOTER"
 *   8     2   format version (1; 3 in an encoded volume, whose data section is a frame directory and frames)
 *  10     2   flags (0)
 *  12     4   footer length (160)
 *  16     8   segment seq
 *  24     8   volume size in bytes as of this checkpoint
 *  32     8   data section offset (64: right after the header)
 *  40     8   data block count (version 1: each block is stored as block-size bytes + its 4-byte CRC32C;
 *             version 3: the slots of the frames)
 *  48     8   node section offset
 *  56     8   node section length
 *  64     8   extent table offset
 *  72     8   extent table length
 *  80     8   index root: segment seq (0 = empty index)
 *  88     8   index root: byte offset of the node in that segment
 *  96     4   index root: node length in bytes
 * 100     4   index height (0 = empty)
 * 104     8   index extent count
 * 112     8   index mapped block count
 * 120     8   creation time, ms since the epoch
 * 128     4   CRC32C of the header (equal to the header's own checksum field)
 * 132     4   version 1: CRC32C of the data section's per-block checksums, in order (each block is covered by
 *             its own); version 3: CRC32C of the whole data section (frame directory and frames)
 * 136     4   CRC32C of the node section
 * 140     4   CRC32C of the extent table
 * 144     8   floor: the newest seq that was durable when this segment was finished; 0 = not recorded, which
 *             means seq - 1 (segments written before several uploads could be in flight)
 * 152     4   reserved (0)
 * 156     4   CRC32C of bytes 0..155
 * </pre>
 *
 * <p>The floor makes the checkpoint check of an open possible when several segments were in flight: checkpoint
 * {@code N} is complete when every seq in {@code (floor(), N)} exists (docs/FORMAT.md, "Finding the newest
 * checkpoint").
 */
public record SegmentFooter(long seq, long volumeSizeBytes, long dataOffset, long dataBlockCount, long nodeOffset,
        long nodeLength, long extentTableOffset, long extentTableLength, long rootSeq, long rootOffset, int rootLength,
        int height, long extentCount, long mappedBlocks, long createdMillis, int headerCrc, int blockCrcsCrc,
        int nodeCrc, int extentTableCrc, long floorSeq) {

    public static final int BYTES = 160;

    /** A footer that records no floor ({@link #floor()} is then {@code seq - 1}). */
    public SegmentFooter(long seq, long volumeSizeBytes, long dataOffset, long dataBlockCount, long nodeOffset,
            long nodeLength, long extentTableOffset, long extentTableLength, long rootSeq, long rootOffset, int rootLength,
            int height, long extentCount, long mappedBlocks, long createdMillis, int headerCrc, int blockCrcsCrc,
            int nodeCrc, int extentTableCrc) {
        this(seq, volumeSizeBytes, dataOffset, dataBlockCount, nodeOffset, nodeLength, extentTableOffset,
                extentTableLength, rootSeq, rootOffset, rootLength, height, extentCount, mappedBlocks, createdMillis,
                headerCrc, blockCrcsCrc, nodeCrc, extentTableCrc, 0);
    }

    /**
     * The newest seq that was durable when this segment was finished: its index may point into segments in
     * {@code (floor, seq)} only because they were on their way to the store then. {@code seq - 1} when the footer
     * records none.
     */
    public long floor() {
        return floorSeq == 0 ? seq - 1 : floorSeq;
    }
    static final byte[] MAGIC = "HFFOOTER".getBytes(StandardCharsets.US_ASCII);

    /** The footer of an unencoded segment (format version 1). */
    public ByteBuffer encode() {
        return encode(FormatVersion.V1);
    }

    /** The footer as a segment of format {@code version} (1, or 3 for a framed segment) stores it. */
    public ByteBuffer encode(FormatVersion version) {
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putShort((short) version.number()).putShort((short) 0).putInt(BYTES);
        b.putLong(seq).putLong(volumeSizeBytes).putLong(dataOffset).putLong(dataBlockCount);
        b.putLong(nodeOffset).putLong(nodeLength).putLong(extentTableOffset).putLong(extentTableLength);
        b.putLong(rootSeq).putLong(rootOffset).putInt(rootLength).putInt(height);
        b.putLong(extentCount).putLong(mappedBlocks).putLong(createdMillis);
        b.putInt(headerCrc).putInt(blockCrcsCrc).putInt(nodeCrc).putInt(extentTableCrc);
        b.putLong(floorSeq);
        b.position(156);
        b.putInt(Crc32c.of(b.array(), 0, 156));
        return b.flip();
    }

    /**
     * Decodes and checks a footer: its checksum, magic, length, and that it is the footer of {@code expectedSeq}
     * in an object of {@code objectSize} bytes with sections that fit. {@code key} and {@code at} (the footer's
     * offset in the object) name the place in errors.
     */
    public static SegmentFooter decode(String key, long at, ByteBuffer src, long expectedSeq, long objectSize) {
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() != BYTES) {
            throw new CorruptionException(key, at, "segment footer has " + b.remaining() + " bytes, expected " + BYTES);
        }
        int start = b.position();
        int computed = Crc32c.ofRange(b, start, start + 156);
        if (b.getInt(start + 156) != computed) {
            throw CorruptionException.checksum(key, at, "segment footer", b.getInt(start + 156), computed);
        }
        byte[] magic = new byte[8];
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new CorruptionException(key, at, "not a segment footer (bad magic)");
        }
        FormatVersion.fromNumber(b.getShort() & 0xffff);
        b.getShort();
        int length = b.getInt();
        if (length != BYTES) {
            throw new CorruptionException(key, at, "footer length " + length + ", expected " + BYTES);
        }
        SegmentFooter f = new SegmentFooter(b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong(),
                b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getInt(), b.getInt(), b.getLong(), b.getLong(),
                b.getLong(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getLong());
        if (expectedSeq >= 0 && f.seq != expectedSeq) {
            throw new CorruptionException(key, at, "footer says seq " + f.seq + ", key says " + expectedSeq);
        }
        if (f.extentTableOffset + f.extentTableLength != at || f.nodeOffset + f.nodeLength != f.extentTableOffset
                || f.dataOffset != SegmentHeader.BYTES || f.nodeOffset < f.dataOffset || at + BYTES != objectSize
                || f.height < 0 || (f.height == 0) != (f.rootSeq == 0) || f.rootSeq > f.seq || f.floorSeq < 0
                || f.floorSeq >= f.seq) {
            throw new CorruptionException(key, at, "footer sections do not fit the object: " + f);
        }
        return f;
    }
}
