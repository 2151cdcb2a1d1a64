package io.hyperfile.core.format;

import io.hyperfile.core.HyperfileException;

/**
 * Bytes do not follow the format they were read as: truncated, a var-int that is too long or not minimal, an
 * unknown version. Thrown by the helpers in this package, which do not know where the bytes came from; codecs catch
 * it and rethrow a corruption exception that names the object and offset.
 */
public class FormatException extends HyperfileException {
    private static final long serialVersionUID = 1L;

    public FormatException(String message) {
        super(message);
    }
}
