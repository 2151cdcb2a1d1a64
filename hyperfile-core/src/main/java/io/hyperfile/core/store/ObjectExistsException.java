package io.hyperfile.core.store;

/**
 * A conditional {@link ObjectStore#create create} found the key already taken. For a segment key this means
 * another writer got there first: the caller has been superseded (fenced).
 */
public class ObjectExistsException extends PreconditionFailedException {
    private static final long serialVersionUID = 1L;

    public ObjectExistsException(String key) {
        super(key, "object already exists: " + key);
    }

    public ObjectExistsException(String key, Throwable cause) {
        super(key, "object already exists: " + key, cause);
    }
}
