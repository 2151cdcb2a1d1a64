package io.hyperfile.core.index;

/**
 * Blocks {@code [startBlock, startBlock + blockCount)} whose mapping differs between two index trees. {@code zero}
 * says what the newer tree maps them to: true for a hole or a zero extent (the blocks read as zeroes there), false
 * for stored data. Immutable.
 */
public record ChangedRun(long startBlock, long blockCount, boolean zero) {
    public ChangedRun {
        if (startBlock < 0 || blockCount <= 0) {
            throw new IllegalArgumentException("bad changed run. startBlock=" + startBlock + ", blockCount=" + blockCount);
        }
    }

    public long endBlock() {
        return startBlock + blockCount;
    }
}
