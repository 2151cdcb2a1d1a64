package io.hyperfile.core.crypto;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.format.Crc32c;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.UUID;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * An encrypted object (docs/FORMAT.md, "Encrypted objects"): a 40-byte header, then the plaintext in chunks of
 * {@value #CHUNK} bytes, each sealed with AES-256-GCM and followed by its 16-byte tag (the last chunk may be shorter,
 * and is empty for an empty object). Little-endian header:
 *
 * <pre>
 * offset size field
 *  0     8   magic "HFENCOBJ"
 *  8     2   envelope version (1)
 * 10     2   flags (0)
 * 12     4   key version: which of the volume's data keys ({@link Keyring})
 * 16     4   chunk size (4096)
 * 20    16   salt: random, drawn for each write of the object
 * 36     4   CRC32C of bytes 0..35
 * </pre>
 *
 * The object's key is HMAC-SHA256(data key, "HFOBJKEY" ‖ volume id ‖ salt ‖ the object's name within the volume),
 * so every write of every object has its own key; chunk {@code i}'s nonce is {@code i} (u64) followed by 1 for the
 * last chunk and 0 otherwise (u32). Within one key the nonces differ by construction, and a key is never reused
 * for other bytes unless two writes draw the same 128-bit salt. A moved, truncated, extended, reordered or modified
 * object fails authentication, which is reported as corruption naming the object and chunk, never as other data.
 *
 * <p>Plaintext offsets map to chunks arithmetically, so a ranged read fetches only the chunks it needs.
 */
public final class ObjectEnvelope {
    public static final int HEADER = 40;
    public static final int CHUNK = 4096;
    public static final int TAG = 16;
    public static final int STRIDE = CHUNK + TAG;
    private static final byte[] MAGIC = "HFENCOBJ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KDF_LABEL = "HFOBJKEY".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ThreadLocal<Cipher> CIPHER = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JVM", e);
        }
    });
    private static final ThreadLocal<Mac> MAC = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    });

    private ObjectEnvelope() {
    }

    /** What an object's header says, with the object key it derives (the header's {@code key} is the store key). */
    public record Header(int keyVersion, byte[] salt, SecretKeySpec objectKey) {
    }

    /** Chunks an object of {@code plaintext} bytes has: at least one. */
    public static long chunks(long plaintext) {
        return Math.max(1, (plaintext + CHUNK - 1) / CHUNK);
    }

    public static long ciphertextSize(long plaintext) {
        return HEADER + plaintext + TAG * chunks(plaintext);
    }

    /** The plaintext size of an envelope of {@code ciphertext} bytes, or -1 if no envelope has that size. */
    public static long plaintextSize(long ciphertext) {
        if (ciphertext < HEADER + TAG) {
            return -1;
        }
        long n = (ciphertext - HEADER + STRIDE - 1) / STRIDE;
        long p = ciphertext - HEADER - TAG * n;
        return chunks(p) == n ? p : -1;
    }

    /** Byte offset of chunk {@code i} in the envelope. */
    public static long chunkOffset(long i) {
        return HEADER + i * STRIDE;
    }

    /** Derives the key of one write of {@code name} (the object's name within its volume). */
    public static SecretKeySpec objectKey(byte[] dataKey, UUID volumeId, byte[] salt, String name) {
        Mac mac = MAC.get();
        try {
            mac.init(new SecretKeySpec(dataKey, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        mac.update(KDF_LABEL);
        mac.update(ByteBuffer.allocate(16).putLong(volumeId.getMostSignificantBits())
                .putLong(volumeId.getLeastSignificantBits()).array());
        mac.update(salt);
        mac.update(name.getBytes(StandardCharsets.UTF_8));
        return new SecretKeySpec(mac.doFinal(), "AES");
    }

    /** A fresh salt for one write. */
    public static byte[] newSalt() {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return salt;
    }

    /** Seals {@code plaintext} (position to limit; not moved) as object {@code name} under data key version {@code keyVersion}. */
    public static ByteBuffer seal(int keyVersion, byte[] salt, SecretKeySpec key, ByteBuffer plaintext) {
        int p = plaintext.remaining();
        long size = ciphertextSize(p);
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("object of " + p + " bytes is too large to encrypt in one buffer");
        }
        ByteBuffer out = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).putShort((short) 1).putShort((short) 0).putInt(keyVersion).putInt(CHUNK).put(salt);
        out.putInt(Crc32c.of(out.array(), 0, 36));
        Cipher c = CIPHER.get();
        ByteBuffer src = plaintext.duplicate();
        long n = chunks(p);
        try {
            for (long i = 0; i < n; i++) {
                int len = (int) Math.min(CHUNK, p - i * CHUNK);
                c.init(Cipher.ENCRYPT_MODE, key, nonce(i, i == n - 1));
                ByteBuffer in = src.duplicate();
                in.position(plaintext.position() + (int) (i * CHUNK)).limit(in.position() + len);
                c.doFinal(in, out);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed to encrypt", e);
        }
        return out.flip();
    }

    /**
     * Checks the header at {@code src}'s position (offset 0 of object {@code storeKey}) and returns its key version,
     * with which the caller looks up the data key; corruption naming the object if it is not a header.
     */
    public static int keyVersionOf(String storeKey, ByteBuffer src) {
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int at = b.position();
        if (b.remaining() < HEADER) {
            throw new CorruptionException(storeKey, 0, "encrypted object is shorter than its header (" + b.remaining()
                    + " bytes)");
        }
        int stored = b.getInt(at + 36);
        int computed = Crc32c.ofRange(b, at, at + 36);
        if (stored != computed) {
            throw CorruptionException.checksum(storeKey, 0, "encrypted object header", stored, computed);
        }
        byte[] magic = new byte[8];
        b.get(at, magic);
        int version = b.getShort(at + 8) & 0xffff;
        int flags = b.getShort(at + 10) & 0xffff;
        int chunk = b.getInt(at + 16);
        if (!Arrays.equals(magic, MAGIC) || version != 1 || flags != 0 || chunk != CHUNK) {
            throw new CorruptionException(storeKey, 0, "not an encrypted object this build reads (envelope version "
                    + version + ", flags " + flags + ", chunk size " + chunk + ")");
        }
        return b.getInt(at + 12);
    }

    /**
     * If {@code src} (position to limit) starts with a valid envelope header, its salt as a UUID: what names this
     * write of the object (a cache's identity for it); else null.
     */
    public static UUID writeId(ByteBuffer src) {
        if (src.remaining() < HEADER || src.get(src.position()) != 'H') {
            return null;
        }
        try {
            keyVersionOf("", src);
        } catch (CorruptionException notAnEnvelope) {
            return null;
        }
        ByteBuffer salt = ByteBuffer.wrap(saltOf(src));
        return new UUID(salt.getLong(), salt.getLong());
    }

    /** The salt of the header at {@code src}'s position (already checked by {@link #keyVersionOf}). */
    public static byte[] saltOf(ByteBuffer src) {
        byte[] salt = new byte[16];
        src.duplicate().position(src.position() + 20).get(salt);
        return salt;
    }

    /**
     * Opens chunks {@code [first, first + count)} of object {@code storeKey} (of {@code plaintextSize} bytes), whose
     * ciphertext starts at {@code src}'s position, and returns their plaintext (a new buffer).
     */
    public static ByteBuffer open(String storeKey, Header h, long plaintextSize, long first, int count, ByteBuffer src) {
        long n = chunks(plaintextSize);
        long from = first * CHUNK;
        long to = Math.min(plaintextSize, (first + count) * CHUNK);
        ByteBuffer out = ByteBuffer.allocate((int) (to - from));
        Cipher c = CIPHER.get();
        int at = src.position();
        for (long i = first; i < first + count; i++) {
            int len = (int) Math.min(CHUNK, plaintextSize - i * CHUNK);
            ByteBuffer in = src.duplicate();
            in.position(at + (int) ((i - first) * STRIDE)).limit(in.position() + len + TAG);
            try {
                c.init(Cipher.DECRYPT_MODE, h.objectKey(), nonce(i, i == n - 1));
                c.doFinal(in, out);
            } catch (AEADBadTagException e) {
                throw new CorruptionException(storeKey, chunkOffset(i), "encrypted chunk " + i + " (key version "
                        + h.keyVersion() + ") fails authentication: the object was modified or is not this volume's", e);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM failed to decrypt", e);
            }
        }
        return out.flip();
    }

    private static GCMParameterSpec nonce(long chunk, boolean last) {
        byte[] iv = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(chunk).putInt(last ? 1 : 0).array();
        return new GCMParameterSpec(TAG * 8, iv);
    }
}
