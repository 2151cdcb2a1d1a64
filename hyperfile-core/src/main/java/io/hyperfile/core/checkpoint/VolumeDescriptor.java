package io.hyperfile.core.checkpoint;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.encoding.Compression;
import io.hyperfile.core.encoding.Encryption;
import io.hyperfile.core.encoding.SegmentEncoding;
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
 *
 * <p>A clone's descriptor (docs/CLONES.md) has format version 2 and is 224 bytes: the 128 bytes above (version 2,
 * flags bit 0 = clone, always set, bit 1 = flattened), then its {@link CloneOrigin}:
 *
 * <pre>
 * offset size field
 * 128    16   parent volume id
 * 144     8   base seq: the parent checkpoint the clone starts from
 * 152     1   parent name length n (1..64)
 * 153    64   parent name, n ASCII bytes, then zeros
 * 217     3   reserved (0)
 * 220     4   CRC32C of bytes 128..219
 * </pre>
 *
 * <p>An encoded volume's descriptor (docs/ENCODING.md) has format version 3, and either layout above (flags as
 * for a clone when it is one); its segment encoding takes two of the reserved bytes:
 *
 * <pre>
 * offset size field
 *  56     1   compression codec (1 lz4, 2 zstd)
 *  57     1   zstd level (1..19), 0 for lz4
 * </pre>
 *
 * @param origin the parent this volume was cloned from, or null for a volume created empty
 * @param encoding how the volume's segments store their data ({@link SegmentEncoding#NONE} below version 3)
 */
public record VolumeDescriptor(FormatVersion formatVersion, int blockSizeBytes, long sizeBytes, int segmentTargetBytes,
        int maxNodeBytes, UUID volumeId, long createdMillis, CloneOrigin origin, SegmentEncoding encoding) {

    public static final int BYTES = 128;
    /** Size of a clone's descriptor (format version 2). */
    public static final int CLONE_BYTES = 224;
    private static final int FLAG_CLONE = 1;
    private static final int FLAG_FLATTENED = 2;
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
        if (formatVersion != versionFor(origin, encoding)) {
            throw new IllegalArgumentException("an encrypted volume's descriptor has format version 4, a compressed one's 3,"
                    + " an unencoded clone's 2, any other version 1. version=" + formatVersion + ", origin=" + origin
                    + ", encoding=" + encoding);
        }
    }

    /** An unencoded volume (format version 1, or 2 for a clone). */
    public VolumeDescriptor(FormatVersion formatVersion, int blockSizeBytes, long sizeBytes, int segmentTargetBytes,
            int maxNodeBytes, UUID volumeId, long createdMillis, CloneOrigin origin) {
        this(formatVersion, blockSizeBytes, sizeBytes, segmentTargetBytes, maxNodeBytes, volumeId, createdMillis, origin,
                SegmentEncoding.NONE);
    }

    /** The format version of a descriptor with this origin and encoding. */
    public static FormatVersion versionFor(CloneOrigin origin, SegmentEncoding encoding) {
        if (encoding.isEncrypted()) {
            return FormatVersion.V4;
        }
        return encoding.isEncoded() ? FormatVersion.V3 : origin == null ? FormatVersion.V1 : FormatVersion.V2;
    }

    /** This descriptor with {@code newOrigin} (e.g. flattened) in place of its origin, the version to match. */
    public VolumeDescriptor withOrigin(CloneOrigin newOrigin) {
        return new VolumeDescriptor(versionFor(newOrigin, encoding), blockSizeBytes, sizeBytes, segmentTargetBytes,
                maxNodeBytes, volumeId, createdMillis, newOrigin, encoding);
    }

    /** A volume created empty (not a clone). */
    public VolumeDescriptor(FormatVersion formatVersion, int blockSizeBytes, long sizeBytes, int segmentTargetBytes,
            int maxNodeBytes, UUID volumeId, long createdMillis) {
        this(formatVersion, blockSizeBytes, sizeBytes, segmentTargetBytes, maxNodeBytes, volumeId, createdMillis, null);
    }

    /** A clone of {@code origin} with this volume's format parameters, a new id and creation time. */
    public VolumeDescriptor asCloneOf(CloneOrigin cloneOrigin, UUID id, long created) {
        return new VolumeDescriptor(versionFor(cloneOrigin, encoding), blockSizeBytes, sizeBytes, segmentTargetBytes,
                maxNodeBytes, id, created, cloneOrigin, encoding);
    }

    /** Whether this volume reads segments of a parent (a clone not flattened yet). */
    public boolean isClone() {
        return origin != null && !origin.flattened();
    }

    /**
     * Segment seqs up to this one are not the volume's own: a clone's are its parent's, and a flattened clone's older
     * checkpoints may still point at them. 0 for a volume created empty.
     */
    public long borrowedUpTo() {
        return origin == null ? 0 : origin.baseSeq();
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
        ByteBuffer b = ByteBuffer.allocate(origin == null ? BYTES : CLONE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int flags = origin == null ? 0 : FLAG_CLONE | (origin.flattened() ? FLAG_FLATTENED : 0);
        b.put(MAGIC).putShort((short) formatVersion.number()).putShort((short) flags).putInt(blockSizeBytes);
        b.putLong(sizeBytes).putInt(segmentTargetBytes).putInt(maxNodeBytes);
        b.putLong(volumeId.getMostSignificantBits()).putLong(volumeId.getLeastSignificantBits());
        b.putLong(createdMillis);
        if (encoding.isEncoded() || encoding.isEncrypted()) {
            b.put((byte) encoding.compression().code()).put((byte) encoding.level()).put((byte) encoding.encryption().code());
            b.put((byte) (encoding.isEncoded() ? Integer.numberOfTrailingZeros(encoding.frameBytes()) : 0));
        }
        b.putInt(124, Crc32c.of(b.array(), 0, 124));
        if (origin != null) {
            byte[] name = origin.parentName().getBytes(StandardCharsets.US_ASCII);
            b.position(128);
            b.putLong(origin.parentId().getMostSignificantBits()).putLong(origin.parentId().getLeastSignificantBits());
            b.putLong(origin.baseSeq()).put((byte) name.length).put(name);
            b.putInt(220, Crc32c.of(b.array(), 128, 92));
        }
        return b.position(0);
    }

    public static VolumeDescriptor decode(String key, ByteBuffer src) {
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() != BYTES && b.remaining() != CLONE_BYTES) {
            throw new CorruptionException(key, 0, "volume descriptor has " + b.remaining() + " bytes, expected " + BYTES
                    + " (or " + CLONE_BYTES + " for a clone)");
        }
        int length = b.remaining();
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
        int flags = b.getShort() & 0xffff;
        int blockSize = b.getInt();
        long size = b.getLong();
        int segmentTarget = b.getInt();
        int maxNode = b.getInt();
        UUID id = new UUID(b.getLong(), b.getLong());
        long created = b.getLong();
        CloneOrigin origin = null;
        SegmentEncoding encoding = SegmentEncoding.NONE;
        boolean encoded = version == FormatVersion.V3 || version == FormatVersion.V4;
        if (encoded) {
            try {
                Compression c = Compression.fromCode(b.get(start + 56) & 0xff);
                int frameLog = b.get(start + 59) & 0xff;
                int frame = c == Compression.NONE ? 0 : frameLog == 0 ? SegmentEncoding.LEGACY_FRAME_BYTES
                        : frameLog < 31 ? 1 << frameLog : -1;
                if (c == Compression.NONE && frameLog != 0) {
                    frame = -1;
                }
                encoding = new SegmentEncoding(c, b.get(start + 57) & 0xff, Encryption.fromCode(b.get(start + 58) & 0xff),
                        frame);
            } catch (IllegalArgumentException e) {
                throw new CorruptionException(key, 56, "volume descriptor names an impossible encoding: " + e.getMessage(), e);
            }
            if (version == FormatVersion.V3 ? !encoding.isEncoded() || encoding.isEncrypted() : !encoding.isEncrypted()) {
                throw new CorruptionException(key, 56, "volume descriptor of version " + version.number()
                        + " names the encoding " + encoding);
            }
        }
        if (version == FormatVersion.V2 || (encoded && length == CLONE_BYTES)) {
            origin = decodeOrigin(key, b, start, length, flags);
        } else if (length != BYTES || flags != 0) {
            throw new CorruptionException(key, 0, "volume descriptor of version " + version.number() + " has " + length
                    + " bytes and flags 0x" + Integer.toHexString(flags) + ", expected " + BYTES + " bytes and no flags");
        }
        try {
            return new VolumeDescriptor(version, blockSize, size, segmentTarget, maxNode, id, created, origin, encoding);
        } catch (IllegalArgumentException e) {
            throw new CorruptionException(key, 0, "volume descriptor holds impossible values: " + e.getMessage(), e);
        }
    }

    private static CloneOrigin decodeOrigin(String key, ByteBuffer b, int start, int length, int flags) {
        if (length != CLONE_BYTES || (flags & FLAG_CLONE) == 0 || (flags & ~(FLAG_CLONE | FLAG_FLATTENED)) != 0) {
            throw new CorruptionException(key, 0, "clone descriptor has " + length + " bytes and flags 0x"
                    + Integer.toHexString(flags) + ", expected " + CLONE_BYTES + " bytes and flag 0x1 (0x2 optional)");
        }
        int computed = Crc32c.ofRange(b, start + 128, start + 220);
        if (b.getInt(start + 220) != computed) {
            throw CorruptionException.checksum(key, 128, "clone origin", b.getInt(start + 220), computed);
        }
        UUID parentId = new UUID(b.getLong(start + 128), b.getLong(start + 136));
        long baseSeq = b.getLong(start + 144);
        int nameLength = b.get(start + 152) & 0xff;
        if (nameLength < 1 || nameLength > 64) {
            throw new CorruptionException(key, 152, "clone origin has a parent name of " + nameLength + " bytes");
        }
        byte[] name = new byte[nameLength];
        b.get(start + 153, name);
        try {
            return new CloneOrigin(new String(name, StandardCharsets.US_ASCII), parentId, baseSeq,
                    (flags & FLAG_FLATTENED) != 0);
        } catch (IllegalArgumentException e) {
            throw new CorruptionException(key, 128, "clone origin holds impossible values: " + e.getMessage(), e);
        }
    }
}
