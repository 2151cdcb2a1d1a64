package io.hyperfile.core.checkpoint;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.format.Crc32c;
import io.hyperfile.core.format.FormatVersion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;


/**
 * The immutable descriptor {@code P/volume}, created once (conditionally) when the volume is created. It fixes
 * the format parameters for the volume's life; the size may later change through checkpoints (each segment
 * footer carries the size as of that flush). 128 bytes, little-endian:
 *
 * <pre>
 * offset size field
 *   0     8   magic "HFVOLUME"
 *   8     2   format version (1)
 *  10     2   flags (0)
 *  12     4   block size in bytes (power of two, 512..65536)
 *  16     8   size in bytes at creation (a multiple of the block size, at most 2^48 blocks)
 *  24     4   segment target size in bytes
 *  28     4   maximum index node size in bytes
 *  32    16   volume id (UUID, most significant long first)
 *  48     8   creation time, ms since the epoch
 *  56    68   reserved (0)
 * 124     4   CRC32C of bytes 0..123
 * </pre>
 */
public record VolumeDescriptor(FormatVersion formatVersion, int blockSizeBytes, long sizeBytes, int segmentTargetBytes,
        int maxNodeBytes, UUID volumeId, long createdMillis) {

    public static final int BYTES = 128;
    /**
     * Most blocks a volume may have: the index addresses blocks in 48 bits ({@code startBlock + blockCount <= 2^48},
     * the index package's {@code NodeLimits.MAX_BLOCKS}), so a larger volume would accept writes its index cannot
     * record. 1 EiB at the default block size of 4096 bytes.
     */
    public static final long MAX_BLOCKS = 1L << 48;
    private static final byte[] MAGIC = "HFVOLUME".getBytes(StandardCharsets.US_ASCII);

    public VolumeDescriptor {
        if (Integer.bitCount(blockSizeBytes) != 1 || blockSizeBytes < 512 || blockSizeBytes > 65536) {
            throw new IllegalArgumentException("block size must be a power of two in 512..65536. blockSizeBytes=" + blockSizeBytes);
        }
        if (sizeBytes <= 0 || sizeBytes % blockSizeBytes != 0) {
            throw new IllegalArgumentException("size must be a positive multiple of the block size. sizeBytes=" + sizeBytes);
        }
        if (sizeBytes / blockSizeBytes > MAX_BLOCKS) {
            throw new IllegalArgumentException(("size must be at most 2^48 blocks (the index's limit: %d bytes at this block"
                    + " size). sizeBytes=%d, blockSizeBytes=%d, blocks=%d").formatted(maxSizeBytes(blockSizeBytes), sizeBytes,
                    blockSizeBytes, sizeBytes / blockSizeBytes));
        }
        if (segmentTargetBytes < 2 * blockSizeBytes) {
            throw new IllegalArgumentException("segment target must hold at least 2 blocks. segmentTargetBytes=" + segmentTargetBytes);
        }
    }

    /** The largest volume size with blocks of {@code blockSizeBytes}: {@link #MAX_BLOCKS} blocks, or less if that overflows. */
    public static long maxSizeBytes(int blockSizeBytes) {
        long max = Long.MAX_VALUE / blockSizeBytes;
        return Math.min(max, MAX_BLOCKS) * blockSizeBytes;
    }

    public long blockCount() {
        return sizeBytes / blockSizeBytes;
    }

    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putShort((short) formatVersion.number()).putShort((short) 0).putInt(blockSizeBytes);
        b.putLong(sizeBytes).putInt(segmentTargetBytes).putInt(maxNodeBytes);
        b.putLong(volumeId.getMostSignificantBits()).putLong(volumeId.getLeastSignificantBits());
        b.putLong(createdMillis);
        b.putInt(124, Crc32c.of(b.array(), 0, 124));
        return b.position(0);
    }

    public static VolumeDescriptor decode(String key, ByteBuffer src) {
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() != BYTES) {
            throw new CorruptionException(key, 0, "volume descriptor has " + b.remaining() + " bytes, expected " + BYTES);
        }
        int start = b.position();
        int computed = Crc32c.ofRange(b, start, start + 124);
        if (b.getInt(start + 124) != computed) {
            throw CorruptionException.checksum(key, 0, "volume descriptor", b.getInt(start + 124), computed);
        }
        byte[] magic = new byte[8];
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new CorruptionException(key, 0, "not a volume descriptor (bad magic)");
        }
        FormatVersion version = FormatVersion.fromNumber(b.getShort() & 0xffff);
        b.getShort();
        int blockSize = b.getInt();
        long size = b.getLong();
        int segmentTarget = b.getInt();
        int maxNode = b.getInt();
        UUID id = new UUID(b.getLong(), b.getLong());
        long created = b.getLong();
        try {
            return new VolumeDescriptor(version, blockSize, size, segmentTarget, maxNode, id, created);
        } catch (IllegalArgumentException e) {
            throw new CorruptionException(key, 0, "volume descriptor holds impossible values: " + e.getMessage(), e);
        }
    }
}
