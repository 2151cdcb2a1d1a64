package io.hyperfile.core.cache;

/** Where a {@link CachingObjectStore}'s cache is in its life. Reads pass through in every state but READY. */
public enum CacheState {
    /** The cache files are being opened (Chronicle Map generates code on first use: seconds). */
    OPENING,
    /** Serving hits and taking inserts. */
    READY,
    /** Not in use for the rest of this process: the directory was unusable, locked by another process, or deleted. */
    DISABLED,
    /** Closed with the store. */
    CLOSED
}
