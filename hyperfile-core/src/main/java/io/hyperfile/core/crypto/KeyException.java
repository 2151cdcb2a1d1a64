package io.hyperfile.core.crypto;

import io.hyperfile.core.HyperfileException;

/**
 * A volume's key is missing, wrong, or cannot be used (a key file of the wrong size, KMS refusing to decrypt). The
 * message is one line that names the volume and says which key was given and which one the volume needs.
 */
public final class KeyException extends HyperfileException {
    private static final long serialVersionUID = 1L;
    private final boolean transientFailure;

    public KeyException(String message) {
        this(message, null, false);
    }

    public KeyException(String message, Throwable cause) {
        this(message, cause, false);
    }

    private KeyException(String message, Throwable cause, boolean transientFailure) {
        super(message, cause);
        this.transientFailure = transientFailure;
    }

    /** A key service that did not answer, or failed inside (a network error, a timeout, KMS's 5xx): may pass. */
    public static KeyException unavailable(String message, Throwable cause) {
        return new KeyException(message, cause, true);
    }

    /**
     * Whether asking again may succeed: true only when the key service could not answer. A missing, wrong or refused
     * key stays so until someone gives another key.
     */
    public boolean isTransient() {
        return transientFailure;
    }
}
