package io.hyperfile.core.checkpoint;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.format.Crc32c;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;

/**
 * The content of a clone link {@code P/clone/<clone>} in the parent's prefix (docs/CLONES.md): which snapshot of the
 * parent, at which checkpoint, the clone named {@code <clone>} (volume id {@code cloneId}) starts from. Created
 * conditionally before the clone's descriptor; while it stands and the clone's descriptor says it is a clone of this
 * parent, the parent's snapshot cannot be deleted nor the parent volume. 128 bytes, little-endian:
 *
 * <pre>
 * offset size field
 *   0     8   magic "HFCLONEL"
 *   8     2   record version (1)
 *  10     2   flags (0)
 *  12     8   base seq: the parent checkpoint the clone starts from
 *  20    16   clone volume id (UUID, most significant long first)
 *  36     1   snapshot name length n (1..64)
 *  37    64   snapshot name, n ASCII bytes, then zeros
 * 101    23   reserved (0)
 * 124     4   CRC32C of bytes 0..123
 * </pre>
 *
 * Immutable.
 */
public record CloneLink(String snapshot, long baseSeq, UUID cloneId) {
    public static final int BYTES = 128;
    public static final int VERSION = 1;
    private static final byte[] MAGIC = "HFCLONEL".getBytes(StandardCharsets.US_ASCII);

    public CloneLink {
        Snapshots.checkName(snapshot);
        Objects.requireNonNull(cloneId, "cloneId");
        if (baseSeq < 0) {
            throw new IllegalArgumentException("base seq must be non-negative. baseSeq=" + baseSeq);
        }
    }

    /** {@code P/clone/}: where the links of the volume under {@code prefix} are. */
    public static String directory(String prefix) {
        return prefix + "clone/";
    }

    public static String key(String prefix, String clone) {
        return directory(prefix) + clone;
    }

    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        byte[] name = snapshot.getBytes(StandardCharsets.US_ASCII);
        b.put(MAGIC).putShort((short) VERSION).putShort((short) 0).putLong(baseSeq);
        b.putLong(cloneId.getMostSignificantBits()).putLong(cloneId.getLeastSignificantBits());
        b.put((byte) name.length).put(name);
        b.putInt(124, Crc32c.of(b.array(), 0, 124));
        return b.position(0);
    }

    public static CloneLink decode(String key, ByteBuffer src) {
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() != BYTES) {
            throw new CorruptionException(key, 0, "clone link has " + b.remaining() + " bytes, expected " + BYTES);
        }
        int start = b.position();
        int computed = Crc32c.ofRange(b, start, start + 124);
        if (b.getInt(start + 124) != computed) {
            throw CorruptionException.checksum(key, 124, "clone link", b.getInt(start + 124), computed);
        }
        byte[] magic = new byte[8];
        b.get(start, magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new CorruptionException(key, 0, "not a clone link (bad magic)");
        }
        int version = b.getShort(start + 8) & 0xffff;
        if (version != VERSION || b.getShort(start + 10) != 0) {
            throw new CorruptionException(key, 8, "clone link version " + version + " with flags 0x"
                    + Integer.toHexString(b.getShort(start + 10) & 0xffff) + " is not supported; this build reads version "
                    + VERSION + " without flags");
        }
        int n = b.get(start + 36) & 0xff;
        byte[] name = new byte[Math.min(n, 64)];
        b.get(start + 37, name);
        try {
            return new CloneLink(new String(name, StandardCharsets.US_ASCII), b.getLong(start + 12),
                    new UUID(b.getLong(start + 20), b.getLong(start + 28)));
        } catch (IllegalArgumentException e) {
            throw new CorruptionException(key, 12, "clone link holds impossible values: " + e.getMessage(), e);
        }
    }
}
