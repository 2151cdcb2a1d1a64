package io.hyperfile.core.block;

import java.util.Objects;

/**
 * A run of bytes in one allocation state: {@code [offset, offset + lengthBytes)}. A device never reports
 * {@link Allocation#ZERO} or {@link Allocation#HOLE} for bytes that might not read as zeros. Immutable.
 *
 * @param offset byte offset of the run's first byte, non-negative
 * @param lengthBytes length of the run in bytes, positive
 * @param allocation the run's state
 */
public record AllocationRun(long offset, long lengthBytes, Allocation allocation) {
    public AllocationRun {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be non-negative. offset=" + offset);
        }
        if (lengthBytes <= 0) {
            throw new IllegalArgumentException("lengthBytes must be positive. lengthBytes=" + lengthBytes);
        }
        Objects.requireNonNull(allocation, "allocation");
    }

    /** The offset just past the run. */
    public long end() {
        return offset + lengthBytes;
    }
}
