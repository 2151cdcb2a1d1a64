package io.hyperfile.core.store;

import io.hyperfile.core.HyperfileException;

/**
 * A store operation failed. Carries the key involved (may be null for whole-store failures) and the
 * {@link FailureCategory} that decides whether it is worth retrying.
 */
public class StorageException extends HyperfileException {
    private static final long serialVersionUID = 1L;

    private final String key;
    private final FailureCategory category;

    public StorageException(String key, FailureCategory category, String message) {
        this(key, category, message, null);
    }

    public StorageException(String key, FailureCategory category, String message, Throwable cause) {
        super(message, cause);
        this.key = key;
        this.category = category;
    }

    /** The object key the failed operation addressed, or null when it addressed no single key. */
    public String key() {
        return key;
    }

    public FailureCategory category() {
        return category;
    }

    public boolean isRetryable() {
        return category.isRetryable();
    }
}
