package io.hyperfile.core.index;

/**
 * One piece of a {@link BlockIndex#lookup lookup} result: blocks {@code [startBlock, startBlock + blockCount)} are
 * either a hole ({@code location == null}: never written or trimmed) or mapped to {@code location}. A lookup returns
 * runs that cover exactly the range asked for, in block order. Immutable.
 */
public record Run(long startBlock, long blockCount, Location location) {

    static Run hole(long startBlock, long blockCount) {
        return new Run(startBlock, blockCount, null);
    }

    public long endBlock() {
        return startBlock + blockCount;
    }

    /** Never written, or trimmed. */
    public boolean isHole() {
        return location == null;
    }

    /** A hole or a zero extent: the blocks read as zeros without touching the store. */
    public boolean readsAsZeroes() {
        return location == null || location.isZero();
    }

    /** The data location; {@link IllegalStateException} if this run is a hole or zero. */
    public Location.Data data() {
        if (location instanceof Location.Data d) {
            return d;
        }
        throw new IllegalStateException("run has no data: " + this);
    }

    @Override
    public String toString() {
        return "[" + startBlock + "+" + blockCount + " " + (location == null ? "HOLE" : location) + "]";
    }
}
