package io.hyperfile.core.segment;

/**
 * One change a flush made: blocks {@code [startBlock, startBlock + blockCount)} now hold {@code kind}; for DATA,
 * they are the segment's data blocks from {@code dataBlockOffset} on, in order.
 */
public record ExtentRecord(ExtentKind kind, long startBlock, long blockCount, long dataBlockOffset) {
    /** Encoded size in the extent table. */
    public static final int BYTES = 25;

    public ExtentRecord {
        if (startBlock < 0 || blockCount <= 0) {
            throw new IllegalArgumentException("bad extent: start=" + startBlock + ", count=" + blockCount);
        }
    }

    public long endBlock() {
        return startBlock + blockCount;
    }
}
