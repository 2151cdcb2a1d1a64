package io.hyperfile.core.crypto;

import io.hyperfile.core.encoding.Encryption;
import io.hyperfile.core.encoding.SegmentEncoding;
import io.hyperfile.core.store.ObjectStore;
import java.util.Random;

/** Encodings for parameterized tests: {@code none}, {@code lz4}, {@code zstd:3}, {@code aes-256-gcm}, {@code lz4+aes-256-gcm}. */
public final class TestEncodings {
    private static final byte[] KEY = new byte[32];

    static {
        new Random(20261206).nextBytes(KEY);
    }

    private TestEncodings() {
    }

    /** A compression, an encryption, or both joined by {@code +}. */
    public static SegmentEncoding parse(String spec) {
        int plus = spec.indexOf('+');
        if (plus >= 0) {
            return SegmentEncoding.parseCompression(spec.substring(0, plus))
                    .withEncryption(Encryption.fromLabel(spec.substring(plus + 1)));
        }
        if (spec.startsWith("aes")) {
            return SegmentEncoding.NONE.withEncryption(Encryption.fromLabel(spec));
        }
        return SegmentEncoding.parseCompression(spec);
    }

    /** The test key. */
    public static LocalKeySource key() {
        return new LocalKeySource(KEY, "test key");
    }

    /** {@code store} under an encryption layer with the test key if {@code encoding} is encrypted, else itself. */
    public static ObjectStore wrap(ObjectStore store, SegmentEncoding encoding) {
        return encoding.isEncrypted() ? new EncryptingObjectStore(store, key()) : store;
    }
}
