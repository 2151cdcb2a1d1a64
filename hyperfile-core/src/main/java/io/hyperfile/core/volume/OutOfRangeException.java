package io.hyperfile.core.volume;

import io.hyperfile.core.HyperfileException;

/** A request reaches past the end of the volume (or starts before 0). Nothing was done. */
public class OutOfRangeException extends HyperfileException {
    private static final long serialVersionUID = 1L;

    public OutOfRangeException(String message) {
        super(message);
    }
}
