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
 *  8      2   format version (1)
 * 10      2   flags (0)
 * 12      4   block size in bytes
 * 16     16   volume id (UUID, most significant long first)
 * 32      8   segment seq
 * 40     16   writer id (UUID of the Volume instance that wrote it: two writers never write equal bytes)
 * 56      4   reserved (0)
 * 60      4   CRC32C of bytes 0..59
 * </pre>
 */
public record SegmentHeader(int blockSizeBytes, UUID volumeId, long seq, UUID writerId) {
    public static final int BYTES = 64;
    static final byte[] MAGIC = "HFSEGMNT".getBytes(StandardCharsets.US_ASCII);

    public void encode(ByteBuffer dst, int at) {
        ByteBuffer b = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        b.position(at);
        b.put(MAGIC).putShort((short) FormatVersion.CURRENT.number()).putShort((short) 0).putInt(blockSizeBytes);
        b.putLong(volumeId.getMostSignificantBits()).putLong(volumeId.getLeastSignificantBits());
        b.putLong(seq);
        b.putLong(writerId.getMostSignificantBits()).putLong(writerId.getLeastSignificantBits());
        b.putInt(0);
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
        FormatVersion.fromNumber(b.getShort() & 0xffff);
        b.getShort();
        int blockSize = b.getInt();
        UUID volumeId = new UUID(b.getLong(), b.getLong());
        long seq = b.getLong();
        UUID writerId = new UUID(b.getLong(), b.getLong());
        return new SegmentHeader(blockSize, volumeId, seq, writerId);
    }
}
