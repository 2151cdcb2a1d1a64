package io.hyperfile.core.index;

import java.util.Objects;

/**
 * A mapped range: blocks {@code [startBlock, startBlock + blockCount)} live at {@code location} (block
 * {@code startBlock + i} at {@code location.advance(i)}). Immutable.
 */
public record Extent(long startBlock, long blockCount, Location location) {
    public Extent {
        Objects.requireNonNull(location, "location");
        checkRange(startBlock, blockCount);
        if (location instanceof Location.Data d && d.blockOffset() + blockCount > NodeLimits.MAX_BLOCK_OFFSET) {
            throw new IllegalArgumentException("blockOffset + blockCount out of range. blockOffset=%d, blockCount=%d"
                    .formatted(d.blockOffset(), blockCount));
        }
    }

    /** First block after the extent. */
    public long endBlock() {
        return startBlock + blockCount;
    }

    /** Location of block {@code blockNo}, which must lie in this extent. */
    public Location locationAt(long blockNo) {
        if (blockNo < startBlock || blockNo >= endBlock()) {
            throw new IllegalArgumentException("blockNo outside the extent. blockNo=%d, extent=%s".formatted(blockNo, this));
        }
        return location.advance(blockNo - startBlock);
    }

    static void checkRange(long startBlock, long blockCount) {
        if (startBlock < 0) {
            throw new IllegalArgumentException("startBlock must be non-negative. startBlock=" + startBlock);
        }
        if (blockCount <= 0) {
            throw new IllegalArgumentException("blockCount must be positive. blockCount=" + blockCount);
        }
        if (blockCount > NodeLimits.MAX_BLOCKS - startBlock) {
            throw new IllegalArgumentException("startBlock + blockCount must be at most 2^48. startBlock=%d, blockCount=%d"
                    .formatted(startBlock, blockCount));
        }
    }

    @Override
    public String toString() {
        return "[" + startBlock + "+" + blockCount + " " + location + "]";
    }
}
