package io.hyperfile.core.crypto;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.format.Crc32c;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

/**
 * One version of a volume's data key, wrapped by the user's key: the object {@code P/key/<version>} (docs/FORMAT.md,
 * "Key record"). Little-endian:
 *
 * <pre>
 * offset size field
 *  0     8   magic "HFVOLKEY"
 *  8     2   record version (1)
 * 10     2   flags (0)
 * 12     4   key version (1..)
 * 16    16   volume id
 * 32     1   wrapped by: 1 a local key (key file or variable), 2 AWS KMS
 * 33     1   wrapping key id length k (1..255)
 * 34     k   wrapping key id, UTF-8: a local key's fingerprint (16 hex digits) or the KMS key's ARN
 * 34+k   2   wrapped key length w (1..1024)
 * 36+k   w   wrapped key
 * 36+k+w 4   CRC32C of every byte before it
 * </pre>
 *
 * @param wrapKind 1 local key, 2 AWS KMS
 * @param wrappingKeyId the local key's fingerprint or the KMS key's ARN
 */
public record KeyRecord(int keyVersion, UUID volumeId, int wrapKind, String wrappingKeyId, byte[] wrapped) {
    public static final int WRAPPED_BY_LOCAL_KEY = 1;
    public static final int WRAPPED_BY_KMS = 2;
    private static final byte[] MAGIC = "HFVOLKEY".getBytes(StandardCharsets.US_ASCII);
    private static final String DIR = "key/";

    public KeyRecord {
        if (keyVersion < 1) {
            throw new IllegalArgumentException("key version must be positive. keyVersion=" + keyVersion);
        }
        if (wrapKind != WRAPPED_BY_LOCAL_KEY && wrapKind != WRAPPED_BY_KMS) {
            throw new IllegalArgumentException("unknown wrapping kind " + wrapKind);
        }
        int idLength = wrappingKeyId.getBytes(StandardCharsets.UTF_8).length;
        if (idLength < 1 || idLength > 255 || wrapped.length < 1 || wrapped.length > 1024) {
            throw new IllegalArgumentException("wrapping key id of " + idLength + " bytes or wrapped key of "
                    + wrapped.length + " bytes out of range");
        }
    }

    /** The key of version {@code version}'s record: {@code P/key/} and the version as 10 digits. */
    public static String key(String prefix, int version) {
        return prefix + DIR + String.format("%010d", version);
    }

    /** Where a volume's key records live. */
    public static String directory(String prefix) {
        return prefix + DIR;
    }

    /** What wraps this key, for messages: {@code local key 3f2a...} or {@code KMS key arn:...}. */
    public String describeWrapping() {
        return (wrapKind == WRAPPED_BY_LOCAL_KEY ? "the local key with fingerprint " : "the KMS key ") + wrappingKeyId;
    }

    /** This record wrapped anew: the same version and volume, another wrapping. */
    public KeyRecord rewrapped(int kind, String keyId, byte[] bytes) {
        return new KeyRecord(keyVersion, volumeId, kind, keyId, bytes);
    }

    public ByteBuffer encode() {
        byte[] id = wrappingKeyId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(40 + id.length + wrapped.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putShort((short) 1).putShort((short) 0).putInt(keyVersion);
        b.putLong(volumeId.getMostSignificantBits()).putLong(volumeId.getLeastSignificantBits());
        b.put((byte) wrapKind).put((byte) id.length).put(id).putShort((short) wrapped.length).put(wrapped);
        b.putInt(Crc32c.of(b.array(), 0, b.position()));
        return b.flip();
    }

    /** Decodes and checks a record read from {@code key}; {@link CorruptionException} naming it otherwise. */
    public static KeyRecord decode(String key, ByteBuffer src) {
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int start = b.position();
        int length = b.remaining();
        if (length < 41) {
            throw new CorruptionException(key, 0, "key record of " + length + " bytes is too short");
        }
        int stored = b.getInt(start + length - 4);
        int computed = Crc32c.ofRange(b, start, start + length - 4);
        if (stored != computed) {
            throw CorruptionException.checksum(key, 0, "key record", stored, computed);
        }
        byte[] magic = new byte[8];
        b.get(magic);
        int recordVersion = b.getShort() & 0xffff;
        int flags = b.getShort() & 0xffff;
        if (!Arrays.equals(magic, MAGIC) || recordVersion != 1 || flags != 0) {
            throw new CorruptionException(key, 0, "not a key record this build reads (magic, version " + recordVersion
                    + ", flags " + flags + ")");
        }
        int version = b.getInt();
        UUID id = new UUID(b.getLong(), b.getLong());
        int kind = b.get() & 0xff;
        int idLength = b.get() & 0xff;
        if (34 + idLength + 2 > length - 4) {
            throw new CorruptionException(key, 33, "key record's wrapping key id overruns it");
        }
        byte[] keyId = new byte[idLength];
        b.get(keyId);
        int wrappedLength = b.getShort() & 0xffff;
        if (36 + idLength + wrappedLength != length - 4) {
            throw new CorruptionException(key, 34 + idLength, "key record's wrapped key of " + wrappedLength
                    + " bytes does not end where the record does");
        }
        byte[] wrappedKey = new byte[wrappedLength];
        b.get(wrappedKey);
        try {
            return new KeyRecord(version, id, kind, new String(keyId, StandardCharsets.UTF_8), wrappedKey);
        } catch (IllegalArgumentException e) {
            throw new CorruptionException(key, 0, "key record holds impossible values: " + e.getMessage(), e);
        }
    }
}
