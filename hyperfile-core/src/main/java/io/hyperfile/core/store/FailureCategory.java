package io.hyperfile.core.store;

/**
 * What kind of failure a store operation met. The category alone decides whether it is retried: only
 * {@link #TRANSIENT} and {@link #THROTTLED} are.
 */
public enum FailureCategory {
    /** Bad or missing credentials, or access denied. Not retried. */
    AUTH,
    /** The object (or bucket) does not exist. Not retried. */
    NOT_FOUND,
    /** A condition failed: the object already exists, or its version changed. Not retried. */
    PRECONDITION,
    /** The request itself is wrong (bad range, bad key, unsupported). Not retried. */
    INVALID,
    /** The service asked us to slow down (503 SlowDown, 429). Retried with backoff. */
    THROTTLED,
    /** A failure that may pass: 5xx, timeouts, connection resets, client-side I/O. Retried with backoff. */
    TRANSIENT,
    /** Anything else. Not retried. */
    UNKNOWN;

    public boolean isRetryable() {
        return this == TRANSIENT || this == THROTTLED;
    }
}
