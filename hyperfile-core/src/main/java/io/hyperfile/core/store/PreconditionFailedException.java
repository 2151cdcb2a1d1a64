package io.hyperfile.core.store;

/** A conditional request's condition did not hold (HTTP 412 on S3). */
public class PreconditionFailedException extends StorageException {
    private static final long serialVersionUID = 1L;

    public PreconditionFailedException(String key, String message) {
        super(key, FailureCategory.PRECONDITION, message);
    }

    public PreconditionFailedException(String key, String message, Throwable cause) {
        super(key, FailureCategory.PRECONDITION, message, cause);
    }
}
