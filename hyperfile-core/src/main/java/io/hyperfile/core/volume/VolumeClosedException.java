package io.hyperfile.core.volume;

import io.hyperfile.core.HyperfileException;

/** The volume was closed (or aborted) before or while this request ran. */
public class VolumeClosedException extends HyperfileException {
    private static final long serialVersionUID = 1L;

    public VolumeClosedException(String message) {
        super(message);
    }
}
