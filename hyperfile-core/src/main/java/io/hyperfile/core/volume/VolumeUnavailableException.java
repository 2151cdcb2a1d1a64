package io.hyperfile.core.volume;

import io.hyperfile.core.HyperfileException;

/**
 * A request could not be completed in time because the object store is failing or slow; nothing is lost and
 * nothing is stopped: the volume keeps the data buffered and retries. NBD answers EIO.
 */
public class VolumeUnavailableException extends HyperfileException {
    private static final long serialVersionUID = 1L;

    public VolumeUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
