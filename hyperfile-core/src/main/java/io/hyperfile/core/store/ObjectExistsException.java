package io.hyperfile.core.store;

/**
 * A conditional {@link ObjectStore#create create} found the key already taken. For a segment key this means
 * another writer got there first: the caller has been superseded (fenced).
 *
 * <p>A store whose client may resend a request inside one call (the S3 CRT client retries on its own) cannot tell
 * "taken before we came" from "taken by our own first try"; it says so with {@link #mayBeOwnWrite()}, and
 * {@link RetryingObjectStore} then reads the object back before reporting a conflict.
 */
public class ObjectExistsException extends PreconditionFailedException {
    private static final long serialVersionUID = 1L;

    private final boolean mayBeOwnWrite;

    public ObjectExistsException(String key) {
        this(key, null, false);
    }

    public ObjectExistsException(String key, Throwable cause) {
        this(key, cause, false);
    }

    private ObjectExistsException(String key, Throwable cause, boolean mayBeOwnWrite) {
        super(key, "object already exists: " + key, cause);
        this.mayBeOwnWrite = mayBeOwnWrite;
    }

    /** The key is taken, perhaps by this very call's own earlier, resent try. */
    public static ObjectExistsException mayBeOwnWrite(String key, Throwable cause) {
        return new ObjectExistsException(key, cause, true);
    }

    /** True if the object may have been written by the same call that reports it taken. */
    public boolean mayBeOwnWrite() {
        return mayBeOwnWrite;
    }
}
