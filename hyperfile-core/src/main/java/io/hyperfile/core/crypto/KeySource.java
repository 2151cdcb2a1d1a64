package io.hyperfile.core.crypto;

import java.util.UUID;

/**
 * The user's key: it wraps (encrypts) a volume's data keys and unwraps them again, and never leaves the process
 * (a key file or variable) or the key service (AWS KMS). Implementations are thread-safe.
 */
public interface KeySource {
    /** How the key was given, for messages: {@code --key-file /etc/hf/vm1.key}, {@code --kms-key-id arn:...}. */
    String describe();

    /** Wraps data key {@code dek} (32 bytes) of {@code volumeId}'s key version {@code version}. */
    KeyRecord wrap(UUID volumeId, int version, byte[] dek);

    /**
     * Unwraps {@code record}'s data key; {@link KeyException} naming {@code volumeName} if this is not the key that
     * wrapped it.
     */
    byte[] unwrap(String volumeName, KeyRecord record);
}
