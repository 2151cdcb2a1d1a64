package io.hyperfile.core;

/**
 * Root of Hyperfile's unchecked exception hierarchy. Messages say what happened and, where it helps, what to do,
 * naming the volume, object key or segment involved.
 */
public class HyperfileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public HyperfileException(String message) {
        super(message);
    }

    public HyperfileException(String message, Throwable cause) {
        super(message, cause);
    }
}
