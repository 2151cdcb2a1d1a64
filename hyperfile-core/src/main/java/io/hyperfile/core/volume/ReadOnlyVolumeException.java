package io.hyperfile.core.volume;

import io.hyperfile.core.HyperfileException;

/** A write to a volume that is read-only: opened so (a snapshot), or switched to read-only after corruption. */
public class ReadOnlyVolumeException extends HyperfileException {
    private static final long serialVersionUID = 1L;

    public ReadOnlyVolumeException(String message, Throwable cause) {
        super(message, cause);
    }
}
