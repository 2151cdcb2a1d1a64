package io.hyperfile.core.store;

/** The object does not exist. */
public class ObjectNotFoundException extends StorageException {
    private static final long serialVersionUID = 1L;

    public ObjectNotFoundException(String key, String message) {
        super(key, FailureCategory.NOT_FOUND, message);
    }

    public ObjectNotFoundException(String key, String message, Throwable cause) {
        super(key, FailureCategory.NOT_FOUND, message, cause);
    }
}
