package io.hyperfile.core.crypto;

import io.hyperfile.core.HyperfileException;

/**
 * A volume's key is missing, wrong, or cannot be used (a key file of the wrong size, KMS refusing to decrypt). The
 * message is one line that names the volume and says which key was given and which one the volume needs.
 */
public final class KeyException extends HyperfileException {
    private static final long serialVersionUID = 1L;

    public KeyException(String message) {
        super(message);
    }

    public KeyException(String message, Throwable cause) {
        super(message, cause);
    }
}
