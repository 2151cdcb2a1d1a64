package io.hyperfile.core.volume;

/**
 * Where a volume stands. The transitions, all made in {@link VolumeHealth}:
 *
 * <pre>
 *   OPEN ⇄ DEGRADED        a store request failed for a reason that can pass (throttling, 5xx, timeouts, I/O
 *                          errors, out of memory); the work is retried, waiting flushes get EIO; the next success
 *                          returns to OPEN
 *   OPEN/DEGRADED → READ_ONLY   proven corruption (a checksum that does not match): writes stop, reads go on
 *   OPEN/DEGRADED/READ_ONLY → FENCED   another writer created a segment this instance meant to write
 *   any → CLOSED           close or abort
 * </pre>
 *
 * A read-only view of a checkpoint (a snapshot) starts in READ_ONLY.
 */
public enum HealthState {
    /** Serving reads and writes; the last store work succeeded. */
    OPEN,
    /** Serving reads and writes, but store work is failing and being retried; flushes may fail with EIO. */
    DEGRADED,
    /** Serving reads only: a snapshot view, or corruption was found. */
    READ_ONLY,
    /** Another writer took the volume over; nothing is served. */
    FENCED,
    /** Closed or aborted. */
    CLOSED;

    public boolean acceptsWrites() {
        return this == OPEN || this == DEGRADED;
    }

    public boolean acceptsReads() {
        return this == OPEN || this == DEGRADED || this == READ_ONLY;
    }
}
