package io.hyperfile.core.crypto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A 256-bit key the user holds: read from a file of exactly 32 raw bytes ({@code --key-file}) or from an environment
 * variable holding them as 64 hex digits or base64 ({@code --key-env}). It wraps each data key with AES-256-GCM under
 * a random 96-bit nonce (a handful of wraps per volume, so random nonces are safe), bound to the volume id and key
 * version. Its fingerprint (the first 8 bytes of HMAC-SHA256(key, "hyperfile key fingerprint v1"), hex) is stored
 * with each wrapped key, so a wrong key is named as such rather than reported as damage.
 */
public final class LocalKeySource implements KeySource {
    public static final int KEY_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();
    private final SecretKeySpec key;
    private final String fingerprint;
    private final String describe;

    public LocalKeySource(byte[] keyBytes, String describe) {
        if (keyBytes.length != KEY_BYTES) {
            throw new KeyException(describe + " holds " + keyBytes.length + " bytes; a key is " + KEY_BYTES
                    + " raw bytes (make one with: head -c 32 /dev/urandom > FILE)");
        }
        this.key = new SecretKeySpec(keyBytes.clone(), "AES");
        this.fingerprint = fingerprint(keyBytes);
        this.describe = describe;
    }

    /** The key in {@code file}: exactly 32 raw bytes. */
    public static LocalKeySource fromFile(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new KeyException("key file " + file + " does not exist");
        } catch (IOException e) {
            throw new KeyException("cannot read key file " + file + ": " + e.getMessage(), e);
        }
        try {
            return new LocalKeySource(bytes, "key file " + file);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /** The key in environment variable {@code name} (whose value is {@code value}): 64 hex digits or base64. */
    public static LocalKeySource fromEnv(String name, String value) {
        if (value == null || value.isBlank()) {
            throw new KeyException("environment variable " + name + " is not set; it should hold the volume key as 64"
                    + " hex digits or base64 of 32 bytes");
        }
        String v = value.trim();
        byte[] bytes;
        try {
            bytes = v.length() == 2 * KEY_BYTES ? HexFormat.of().parseHex(v) : Base64.getDecoder().decode(v);
        } catch (IllegalArgumentException e) {
            throw new KeyException("environment variable " + name + " does not hold a key: use 64 hex digits or base64"
                    + " of 32 bytes (e.g. $(head -c 32 /dev/urandom | base64))");
        }
        return new LocalKeySource(bytes, "key in $" + name);
    }

    /** The first 8 bytes of HMAC-SHA256(key, "hyperfile key fingerprint v1"), as 16 hex digits. */
    static String fingerprint(byte[] keyBytes) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(keyBytes, "HmacSHA256"));
            byte[] h = mac.doFinal("hyperfile key fingerprint v1".getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    public String fingerprint() {
        return fingerprint;
    }

    @Override
    public String describe() {
        return describe + " (fingerprint " + fingerprint + ")";
    }

    @Override
    public KeyRecord wrap(UUID volumeId, int version, byte[] dek) {
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            c.updateAAD(aad(volumeId, version));
            byte[] sealed = c.doFinal(dek);
            byte[] out = new byte[12 + sealed.length];
            System.arraycopy(nonce, 0, out, 0, 12);
            System.arraycopy(sealed, 0, out, 12, sealed.length);
            return new KeyRecord(version, volumeId, KeyRecord.WRAPPED_BY_LOCAL_KEY, fingerprint, out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JVM", e);
        }
    }

    @Override
    public byte[] unwrap(String volumeName, KeyRecord record) {
        if (record.wrapKind() != KeyRecord.WRAPPED_BY_LOCAL_KEY) {
            throw new KeyException("volume " + volumeName + ": key version " + record.keyVersion() + " is wrapped by "
                    + record.describeWrapping() + "; give it with --kms-key-id, not " + describe);
        }
        if (!record.wrappingKeyId().equals(fingerprint)) {
            throw new KeyException("volume " + volumeName + ": wrong key: " + describe + " is not the volume's key"
                    + " (key version " + record.keyVersion() + " is wrapped by " + record.describeWrapping() + ")");
        }
        byte[] w = record.wrapped();
        if (w.length != 12 + KEY_BYTES + 16) {
            throw new KeyException("volume " + volumeName + ": key version " + record.keyVersion() + " holds a wrapped"
                    + " key of " + w.length + " bytes, expected " + (12 + KEY_BYTES + 16));
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, w, 0, 12));
            c.updateAAD(aad(record.volumeId(), record.keyVersion()));
            return c.doFinal(w, 12, w.length - 12);
        } catch (AEADBadTagException e) {
            throw new KeyException("volume " + volumeName + ": key version " + record.keyVersion() + " does not unwrap"
                    + " with " + describe + ": the key record was modified", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JVM", e);
        }
    }

    private static byte[] aad(UUID volumeId, int version) {
        return ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN).put("HFVOLKEY".getBytes(StandardCharsets.US_ASCII))
                .putLong(volumeId.getMostSignificantBits()).putLong(volumeId.getLeastSignificantBits()).putInt(version)
                .array();
    }
}
