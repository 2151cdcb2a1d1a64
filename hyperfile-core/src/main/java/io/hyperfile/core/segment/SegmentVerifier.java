package io.hyperfile.core.segment;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.encoding.Compression;
import io.hyperfile.core.format.Crc32c;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * Checks a whole segment object: header, footer, every data block's checksum, the checksum over the block
 * checksums, the node section and the extent table (each against the footer). For fsck; reads use
 * {@link SegmentReader}, which checks what it reads.
 */
public final class SegmentVerifier {
    private SegmentVerifier() {
    }

    /** What a verified segment holds, for the checks that span segments. */
    public record Verified(SegmentFooter footer, List<String> problems) {
    }

    /** Verifies {@code whole} (the object {@code key} of segment {@code seq}); never throws for bad bytes. */
    public static Verified verify(String key, long seq, ByteBuffer whole, UUID volumeId, int blockSize) {
        List<String> problems = new ArrayList<>();
        ByteBuffer b = whole.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int size = b.remaining();
        SegmentFooter footer = null;
        SegmentHeader header = null;
        try {
            SegmentHeader h = SegmentHeader.decode(key, b.duplicate());
            header = h;
            if (!h.volumeId().equals(volumeId) || h.seq() != seq || h.blockSizeBytes() != blockSize) {
                problems.add(key + " at 0: header names volume " + h.volumeId() + " seq " + h.seq() + " block size "
                        + h.blockSizeBytes() + ", expected " + volumeId + " seq " + seq + " block size " + blockSize);
            }
        } catch (CorruptionException e) {
            problems.add(e.getMessage());
        }
        try {
            footer = SegmentFooter.decode(key, size - SegmentFooter.BYTES,
                    b.duplicate().position(size - SegmentFooter.BYTES), seq, size);
        } catch (CorruptionException | IllegalArgumentException e) {
            problems.add(e.getMessage());
            return new Verified(null, problems);
        }
        if (header != null && header.isFramed()) {
            verifyFrames(key, seq, b, footer, header, blockSize, problems);
            return new Verified(footer, problems);
        }
        int stride = blockSize + 4;
        long dataEnd = SegmentHeader.BYTES + footer.dataBlockCount() * stride;
        if (dataEnd != footer.nodeOffset()) {
            problems.add(key + ": data section of " + footer.dataBlockCount() + " blocks ends at " + dataEnd
                    + " but the node section starts at " + footer.nodeOffset());
            return new Verified(footer, problems);
        }
        CRC32C crc = new CRC32C();
        CRC32C crcs = new CRC32C();
        ByteBuffer prefix = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer view = b.duplicate();
        for (int slot = 0; slot < footer.dataBlockCount(); slot++) {
            int at = SegmentHeader.BYTES + slot * stride;
            int stored = b.getInt(at + blockSize);
            int actual = SegmentBuilder.blockCrc(seq, slot, view, at, blockSize, crc, prefix);
            if (stored != actual) {
                problems.add(String.format("%s at %d: data block %d checksum mismatch: stored %08x, computed %08x",
                        key, at, slot, stored, actual));
            }
            crcs.update(b.duplicate().position(at + blockSize).limit(at + stride));
        }
        check(problems, key, SegmentHeader.BYTES, "block checksums", footer.blockCrcsCrc(), (int) crcs.getValue());
        check(problems, key, footer.nodeOffset(), "node section", footer.nodeCrc(),
                crcOf(b, footer.nodeOffset(), footer.nodeLength()));
        check(problems, key, footer.extentTableOffset(), "extent table", footer.extentTableCrc(),
                crcOf(b, footer.extentTableOffset(), footer.extentTableLength()));
        return new Verified(footer, problems);
    }

    /** The data section of a framed segment: directory, every frame, and the footer's checksums. */
    private static void verifyFrames(String key, long seq, ByteBuffer b, SegmentFooter footer, SegmentHeader header,
            int blockSize, List<String> problems) {
        FrameDirectory dir;
        try {
            dir = FrameDirectory.decode(key, seq, blockSize, header.blocksPerFrame(),
                    b.duplicate().position(SegmentHeader.BYTES).limit((int) footer.nodeOffset()));
        } catch (CorruptionException e) {
            problems.add(e.getMessage());
            return;
        }
        if (dir.slots() != footer.dataBlockCount() || dir.dataEnd() != footer.nodeOffset()) {
            problems.add(key + ": frame directory lists " + dir.slots() + " blocks ending at " + dir.dataEnd()
                    + " but the footer says " + footer.dataBlockCount() + " blocks and the node section starts at "
                    + footer.nodeOffset());
            return;
        }
        CRC32C crc = new CRC32C();
        ByteBuffer prefix = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer view = b.duplicate();
        int stride = blockSize + 4;
        for (int k = 0; k < dir.frameCount(); k++) {
            int at = (int) dir.offset(k);
            if (dir.codec(k) != Compression.NONE) {
                try {
                    SegmentReader.unpackFrame(key, seq, dir, k, b, at, blockSize);
                } catch (CorruptionException | IllegalStateException e) {
                    problems.add(e.getMessage());
                }
                continue;
            }
            for (int i = 0; i < dir.blocksIn(k); i++) {
                long slot = dir.firstSlot(k) + i;
                int blockAt = at + i * stride;
                int stored = b.getInt(blockAt + blockSize);
                int actual = SegmentBuilder.blockCrc(seq, slot, view, blockAt, blockSize, crc, prefix);
                if (stored != actual) {
                    problems.add(String.format("%s at %d: data block %d checksum mismatch: stored %08x, computed %08x",
                            key, blockAt, slot, stored, actual));
                }
            }
        }
        check(problems, key, SegmentHeader.BYTES, "data section", footer.blockCrcsCrc(),
                crcOf(b, SegmentHeader.BYTES, footer.nodeOffset() - SegmentHeader.BYTES));
        check(problems, key, footer.nodeOffset(), "node section", footer.nodeCrc(),
                crcOf(b, footer.nodeOffset(), footer.nodeLength()));
        check(problems, key, footer.extentTableOffset(), "extent table", footer.extentTableCrc(),
                crcOf(b, footer.extentTableOffset(), footer.extentTableLength()));
    }

    private static void check(List<String> problems, String key, long at, String what, int expected, int actual) {
        if (expected != actual) {
            problems.add(String.format("%s at %d: %s checksum mismatch: footer says %08x, computed %08x", key, at, what,
                    expected, actual));
        }
    }

    private static int crcOf(ByteBuffer b, long offset, long length) {
        return Crc32c.ofRange(b, offset, offset + length);
    }
}
