package io.hyperfile.core.volume;

import io.hyperfile.core.HyperfileException;

/**
 * Another writer committed to this volume: a segment this instance tried to create already existed. This
 * instance has stopped for good; reopen the volume (after making sure only one server serves it).
 */
public class VolumeFencedException extends HyperfileException {
    private static final long serialVersionUID = 1L;

    public VolumeFencedException(String message, Throwable cause) {
        super(message, cause);
    }
}
