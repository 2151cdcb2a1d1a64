package io.hyperfile.core.index;

/**
 * A leaf: up to {@link NodeLimits#maxLeafEntries()} extents, sorted by start block, non-overlapping, and merged
 * (two neighbours never continue each other's location). Immutable. Stored as parallel arrays; a zero extent has
 * segment sequence -1.
 */
public final class LeafNode extends IndexNode {
    static final long ZERO_SEQ = -1;

    private final long[] starts;
    private final long[] counts;
    private final long[] seqs;
    private final long[] offsets;
    private final long mappedBlocks;

    /** Takes ownership of the arrays, which have one element per entry (at least one). */
    LeafNode(long[] starts, long[] counts, long[] seqs, long[] offsets) {
        this.starts = starts;
        this.counts = counts;
        this.seqs = seqs;
        this.offsets = offsets;
        long sum = 0;
        for (long c : counts) {
            sum += c;
        }
        this.mappedBlocks = sum;
    }

    static LeafNode of(Extent e) {
        return new LeafNode(new long[] {e.startBlock()}, new long[] {e.blockCount()}, new long[] {seqOf(e.location())},
                new long[] {offsetOf(e.location())});
    }

    static long seqOf(Location location) {
        return location instanceof Location.Data d ? d.segmentSeq() : ZERO_SEQ;
    }

    static long offsetOf(Location location) {
        return location instanceof Location.Data d ? d.blockOffset() : 0;
    }

    @Override
    public int level() {
        return 0;
    }

    @Override
    public int entryCount() {
        return starts.length;
    }

    @Override
    public long firstBlock() {
        return starts[0];
    }

    @Override
    public long extentCount() {
        return starts.length;
    }

    @Override
    public long mappedBlocks() {
        return mappedBlocks;
    }

    @Override
    public long nodeCount() {
        return 1;
    }

    /** Copies entries {@code [from, to)} into the given arrays at {@code at} (for builders of new leaves). */
    void copyEntries(int from, int to, long[] starts, long[] counts, long[] seqs, long[] offsets, int at) {
        int n = to - from;
        System.arraycopy(this.starts, from, starts, at, n);
        System.arraycopy(this.counts, from, counts, at, n);
        System.arraycopy(this.seqs, from, seqs, at, n);
        System.arraycopy(this.offsets, from, offsets, at, n);
    }

    public long startBlock(int i) {
        return starts[i];
    }

    public long blockCount(int i) {
        return counts[i];
    }

    public long endBlock(int i) {
        return starts[i] + counts[i];
    }

    public Location location(int i) {
        return seqs[i] == ZERO_SEQ ? Location.ZERO : new Location.Data(seqs[i], offsets[i]);
    }

    public Extent extent(int i) {
        return new Extent(starts[i], counts[i], location(i));
    }

    /** Segment sequence of entry {@code i}, -1 for a zero extent. */
    long seq(int i) {
        return seqs[i];
    }

    /** Block offset of entry {@code i} (0 for a zero extent). */
    long offset(int i) {
        return offsets[i];
    }

    /** Index of the last extent starting at or before {@code blockNo}, or -1. */
    int lastStartingAtOrBefore(long blockNo) {
        int lo = 0;
        int hi = starts.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (starts[mid] <= blockNo) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi;
    }

    /** Index of the first extent ending after {@code blockNo} (so it contains or follows it); entryCount if none. */
    int firstEndingAfter(long blockNo) {
        int lo = 0;
        int hi = starts.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (starts[mid] + counts[mid] > blockNo) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /** Index of the first extent starting at or after {@code blockNo}; entryCount if none. */
    int firstStartingAtOrAfter(long blockNo) {
        return lastStartingAtOrBefore(blockNo - 1) + 1;
    }

    @Override
    long heapBytes() {
        return 64 + 4 * (16 + 8L * starts.length);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Leaf{");
        for (int i = 0; i < starts.length; i++) {
            sb.append(i == 0 ? "" : " ").append(extent(i));
        }
        return sb.append('}').toString();
    }
}
