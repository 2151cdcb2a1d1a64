package io.hyperfile.core.block;

/** What a byte range of a block device holds, as block status reports it. */
public enum Allocation {
    /** Stored data; may be anything, zeros included. */
    DATA,
    /** Allocated zeros: reads as zeros, kept allocated (written zeros, or zeroing that must not punch holes). */
    ZERO,
    /** Not allocated: never written, trimmed, or zeroed by punching a hole. Reads as zeros. */
    HOLE;

    /** Whether every byte of a run in this state reads as zero (ZERO and HOLE; DATA may hold anything). */
    public boolean readsAsZeros() {
        return this != DATA;
    }
}
