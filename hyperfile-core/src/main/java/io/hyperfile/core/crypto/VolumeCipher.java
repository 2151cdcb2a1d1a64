package io.hyperfile.core.crypto;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.spec.SecretKeySpec;

/**
 * The encryption state of one encrypted volume in an {@link EncryptingObjectStore}: its id and its keyring, which
 * grows when another process rotates the key (an object sealed with a version this keyring lacks makes it reload
 * once) and is created on the first write of a volume that has no key records yet. Thread-safe.
 */
final class VolumeCipher {
    private final ObjectStore store;
    private final String prefix;
    private final UUID volumeId;
    private final KeySource source;
    private final AtomicReference<CompletableFuture<Keyring>> keyring;

    VolumeCipher(ObjectStore store, String prefix, UUID volumeId, KeySource source, Keyring loaded) {
        this.store = store;
        this.prefix = prefix;
        this.volumeId = volumeId;
        this.source = source;
        this.keyring = new AtomicReference<>(CompletableFuture.completedFuture(loaded));
    }

    UUID volumeId() {
        return volumeId;
    }

    String prefix() {
        return prefix;
    }

    /** The keyring to seal with: the loaded one, or version 1 created now if the volume has none yet. */
    private CompletableFuture<Keyring> forWriting() {
        CompletableFuture<Keyring> current = keyring.get();
        return current.thenCompose(k -> {
            if (!k.isEmpty()) {
                return CompletableFuture.completedFuture(k);
            }
            return swap(current, k.rotate(store, prefix, source));
        });
    }

    /** An object sealed for writing, with the header (and derived key) its reads need. */
    record Sealed(ByteBuffer bytes, ObjectEnvelope.Header header) {
    }

    /** Seals {@code plaintext} as object {@code name} (its name within the volume) with the newest key version. */
    CompletableFuture<Sealed> seal(String name, ByteBuffer plaintext) {
        return forWriting().thenApply(k -> {
            int version = k.newestVersion();
            byte[] salt = ObjectEnvelope.newSalt();
            SecretKeySpec key = ObjectEnvelope.objectKey(k.key(version), volumeId, salt, name);
            return new Sealed(ObjectEnvelope.seal(version, salt, key, plaintext), new ObjectEnvelope.Header(version, salt, key));
        });
    }

    /** The header of object {@code storeKey} (named {@code name} in the volume), read from {@code src}'s position. */
    CompletableFuture<ObjectEnvelope.Header> header(String storeKey, String name, ByteBuffer src) {
        int version = ObjectEnvelope.keyVersionOf(storeKey, src);
        byte[] salt = ObjectEnvelope.saltOf(src);
        return dataKey(storeKey, version).thenApply(dek ->
                new ObjectEnvelope.Header(version, salt, ObjectEnvelope.objectKey(dek, volumeId, salt, name)));
    }

    /**
     * Installs {@code next} in place of {@code current}; if it fails, puts {@code current} back. Returns what the
     * caller should wait for: a future that completes only after that, so that no caller sees the failure while
     * the failed keyring is still installed (the order in which a future runs its callbacks is not specified).
     */
    private CompletableFuture<Keyring> swap(CompletableFuture<Keyring> current, CompletableFuture<Keyring> next) {
        if (!keyring.compareAndSet(current, next)) {
            return next;
        }
        CompletableFuture<Keyring> settled = new CompletableFuture<>();
        next.whenComplete((k, e) -> {
            if (e != null) {
                keyring.compareAndSet(next, current);
                settled.completeExceptionally(e);
            } else {
                settled.complete(k);
            }
        });
        return settled;
    }

    private CompletableFuture<byte[]> dataKey(String storeKey, int version) {
        CompletableFuture<Keyring> current = keyring.get();
        return current.thenCompose(k -> {
            byte[] dek = k.key(version);
            if (dek != null) {
                return CompletableFuture.completedFuture(dek);
            }
            // Written after this keyring was loaded (a rotation by another process), or damaged: reload once.
            CompletableFuture<Keyring> reloaded = swap(current, Keyring.load(store, prefix, volumeId, source));
            return reloaded.thenApply(again -> {
                byte[] found = again.key(version);
                if (found == null) {
                    throw new CorruptionException(storeKey, 12, "encrypted with key version " + version + ", which volume "
                            + Keyring.volumeName(prefix) + " does not have (versions " + again.versions() + ")");
                }
                return found;
            });
        });
    }
}
