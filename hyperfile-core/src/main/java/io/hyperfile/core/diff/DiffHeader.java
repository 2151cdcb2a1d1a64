package io.hyperfile.core.diff;

import io.hyperfile.core.CorruptionException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The 96-byte header that opens a diff file: which volume the diff was taken from, its block size, the base
 * checkpoint it applies to and the target checkpoint it produces (with the volume sizes at both). Little-endian:
 *
 * <pre>
 * offset size field
 *   0     8   magic "HFDIFF\r\n"
 *   8     2   format version (1)
 *  10     2   flags (0)
 *  12     4   block size in bytes
 *  16    16   source volume id (UUID, most significant long first)
 *  32     8   base seq (0: the empty volume, a full diff)
 *  40     8   volume size in bytes at the base
 *  48     8   target seq
 *  56     8   volume size in bytes at the target
 *  64     8   creation time, ms since the epoch
 *  72    20   reserved (0)
 *  92     4   CRC32C of bytes 0..91
 * </pre>
 */
public record DiffHeader(int blockSizeBytes, UUID volumeId, long baseSeq, long baseSizeBytes, long targetSeq,
        long targetSizeBytes, long createdMillis) {
    public static final int BYTES = 96;
    public static final int VERSION = 1;
    static final byte[] MAGIC = "HFDIFF\r\n".getBytes(StandardCharsets.US_ASCII);

    public DiffHeader {
        if (Integer.bitCount(blockSizeBytes) != 1 || blockSizeBytes < 512 || blockSizeBytes > 65536) {
            throw new IllegalArgumentException("block size must be a power of two in 512..65536. blockSizeBytes=" + blockSizeBytes);
        }
        if (baseSeq < 0 || targetSeq < 0 || baseSizeBytes <= 0 || targetSizeBytes <= 0) {
            throw new IllegalArgumentException("bad diff header: base seq " + baseSeq + ", target seq " + targetSeq
                    + ", sizes " + baseSizeBytes + "/" + targetSizeBytes);
        }
    }

    /** Whether this diff starts from the empty volume (it carries every non-zero block of the target). */
    public boolean isFull() {
        return baseSeq == 0;
    }

    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putShort((short) VERSION).putShort((short) 0).putInt(blockSizeBytes);
        b.putLong(volumeId.getMostSignificantBits()).putLong(volumeId.getLeastSignificantBits());
        b.putLong(baseSeq).putLong(baseSizeBytes).putLong(targetSeq).putLong(targetSizeBytes).putLong(createdMillis);
        byte[] out = b.array();
        CRC32C crc = new CRC32C();
        crc.update(out, 0, BYTES - 4);
        b.putInt(BYTES - 4, (int) crc.getValue());
        return out;
    }

    /** Decodes and checks a header; {@code name} names the stream in errors. */
    public static DiffHeader decode(String name, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (!Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new CorruptionException(name, 0, "not a hyperfile diff (bad magic)");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, BYTES - 4);
        int stored = b.getInt(BYTES - 4);
        if (stored != (int) crc.getValue()) {
            throw CorruptionException.checksum(name, 0, "diff header", stored, (int) crc.getValue());
        }
        int version = Short.toUnsignedInt(b.getShort(8));
        if (version != VERSION) {
            throw new CorruptionException(name, 8, "unsupported diff format version " + version + " (this build reads " + VERSION + ")");
        }
        try {
            return new DiffHeader(b.getInt(12), new UUID(b.getLong(16), b.getLong(24)), b.getLong(32), b.getLong(40),
                    b.getLong(48), b.getLong(56), b.getLong(64));
        } catch (IllegalArgumentException e) {
            throw new CorruptionException(name, 0, e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "diff of volume " + volumeId + " from seq " + baseSeq + " to seq " + targetSeq;
    }
}
