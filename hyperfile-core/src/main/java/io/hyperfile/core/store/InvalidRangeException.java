package io.hyperfile.core.store;

/** A ranged read started at or beyond the end of the object (HTTP 416 on S3). */
public class InvalidRangeException extends StorageException {
    private static final long serialVersionUID = 1L;

    public InvalidRangeException(String key, String message) {
        super(key, FailureCategory.INVALID, message);
    }

    public InvalidRangeException(String key, String message, Throwable cause) {
        super(key, FailureCategory.INVALID, message, cause);
    }
}
