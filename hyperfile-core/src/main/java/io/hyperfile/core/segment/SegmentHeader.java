package io.hyperfile.core.segment;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.format.Crc32c;
import io.hyperfile.core.format.FormatVersion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;


/**
 * The fixed 64-byte header that opens every segment. Little-endian:
 *
 * <pre>
 * offset size field
 *  0      8   magic "HFSEGMNT"
 *  8      2   format version (1; 3 in an encoded volume)
 * 10      2   flags (0)
 * 12      4   block size in bytes
 * 16     16   volume id (UUID, most significant long first)
 * 32      8   segment seq
 * 40     16   writer id (UUID of the Volume instance that wrote it: two writers never write equal bytes)
 * 56      2   version 3: blocks per data frame F (1..65535, F × block size ≤ 1 MiB); version 1: reserved (0)
 * 58      2   reserved (0)
 * 60      4   CRC32C of bytes 0..59
 * </pre>
 *
 * @param version {@link FormatVersion#V1} for unencoded segments, {@link FormatVersion#V3} for framed ones
 * @param blocksPerFrame version 3: blocks per data frame ({@link FrameDirectory}); version 1: 0
 */
public record SegmentHeader(int blockSizeBytes, UUID volumeId, long seq, UUID writerId, FormatVersion version,
        int blocksPerFrame) {
    public static final int BYTES = 64;
    static final byte[] MAGIC = "HFSEGMNT".getBytes(StandardCharsets.US_ASCII);

    public SegmentHeader {
        if (version == FormatVersion.V3 ? blocksPerFrame < 1 || blocksPerFrame > 0xffff
                || (long) blocksPerFrame * blockSizeBytes > 1 << 20 : blocksPerFrame != 0) {
            throw new IllegalArgumentException("blocks per frame " + blocksPerFrame + " with format version " + version
                    + " and blocks of " + blockSizeBytes + " bytes");
        }
    }

    /** The header of an unencoded segment (format version 1). */
    public SegmentHeader(int blockSizeBytes, UUID volumeId, long seq, UUID writerId) {
        this(blockSizeBytes, volumeId, seq, writerId, FormatVersion.V1, 0);
    }

    /** Whether the data section is framed (format version 3): a {@link FrameDirectory}, then frames. */
    public boolean isFramed() {
        return version == FormatVersion.V3;
    }

    public void encode(ByteBuffer dst, int at) {
        ByteBuffer b = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        b.position(at);
        b.put(MAGIC).putShort((short) version.number()).putShort((short) 0).putInt(blockSizeBytes);
        b.putLong(volumeId.getMostSignificantBits()).putLong(volumeId.getLeastSignificantBits());
        b.putLong(seq);
        b.putLong(writerId.getMostSignificantBits()).putLong(writerId.getLeastSignificantBits());
        b.putShort((short) blocksPerFrame).putShort((short) 0);
        b.putInt(Crc32c.ofRange(dst, at, at + 60));
    }

    /** Decodes and checks the header at the buffer's position; {@code key} names the object in errors. */
    public static SegmentHeader decode(String key, ByteBuffer src) {
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < BYTES) {
            throw new CorruptionException(key, 0, "segment header truncated: " + b.remaining() + " bytes");
        }
        int start = b.position();
        int computed = Crc32c.ofRange(b, start, start + 60);
        if (b.getInt(start + 60) != computed) {
            throw CorruptionException.checksum(key, 0, "segment header", b.getInt(start + 60), computed);
        }
        byte[] magic = new byte[8];
        b.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new CorruptionException(key, 0, "not a segment header (bad magic)");
        }
        FormatVersion version = FormatVersion.fromNumber(b.getShort() & 0xffff);
        b.getShort();
        int blockSize = b.getInt();
        UUID volumeId = new UUID(b.getLong(), b.getLong());
        long seq = b.getLong();
        UUID writerId = new UUID(b.getLong(), b.getLong());
        // Segments of version 2 volumes (clones) are written as version 1; only version 3 frames its data.
        FormatVersion layout = version == FormatVersion.V3 ? version : FormatVersion.V1;
        int blocksPerFrame = layout == FormatVersion.V3 ? b.getShort() & 0xffff : 0;
        try {
            return new SegmentHeader(blockSize, volumeId, seq, writerId, layout, blocksPerFrame);
        } catch (IllegalArgumentException e) {
            throw new CorruptionException(key, 0, "segment header holds impossible values: " + e.getMessage(), e);
        }
    }
}
