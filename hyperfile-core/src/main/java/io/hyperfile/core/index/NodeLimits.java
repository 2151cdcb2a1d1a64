package io.hyperfile.core.index;

/**
 * Size limits of index nodes: a volume-level format setting, fixed when the volume is created (like Xodus's
 * page size, it cannot change for an existing volume). Also holds the value ranges the node format can encode.
 *
 * <p>Every leaf entry encodes in at most {@value #MAX_LEAF_ENTRY_BYTES} bytes and every internal entry in at most
 * {@value #MAX_INTERNAL_ENTRY_BYTES}, so a node with at most {@code maxLeafEntries}/{@code maxInternalEntries} entries
 * always fits in {@code maxNodeBytes}. {@link #ofNodeBytes(int)} derives the fanouts from a byte size (4096 bytes:
 * 163 extents per leaf, 95 children per internal node); {@link #ofFanout(int)} makes tiny nodes for tests.
 *
 * <p>Underflow policy: a node other than the root is <em>underfull</em> below {@link #minLeafEntries()} or
 * {@link #minInternalEntries()} entries, that is below a third of its fanout (and never below 2). An operation that
 * leaves a node underfull merges it with a sibling, and splits the result evenly in two if it does not fit, so every
 * non-root node of a saved tree holds between a third and all of its fanout. An internal root has at least two
 * children; a root with one child is replaced by that child. A third rather than a half keeps merges rare on
 * alternating inserts and removes, which matters because a merge may have to fetch the sibling from the store.
 */
public record NodeLimits(int maxNodeBytes, int maxLeafEntries, int maxInternalEntries) {
    /** Default node size in bytes. */
    public static final int DEFAULT_MAX_NODE_BYTES = 4096;
    /** The smallest fanout allowed (tests use 4 and 5 so that every split and merge path runs). */
    public static final int MIN_FANOUT = 4;
    /** The largest node size allowed. */
    public static final int MAX_NODE_BYTES = 1 << 20;

    /** Exclusive bound of block numbers: {@code startBlock + blockCount <= MAX_BLOCKS} (2^48). */
    public static final long MAX_BLOCKS = 1L << 48;
    /** Largest segment sequence number an index can point into (2^40 - 1). */
    public static final long MAX_SEGMENT_SEQ = (1L << 40) - 1;
    /** Exclusive bound of data block offsets in a segment: {@code blockOffset + blockCount <= MAX_BLOCK_OFFSET}. */
    public static final long MAX_BLOCK_OFFSET = 1L << 32;
    /** Largest byte offset of a node in a segment object (2^40 - 1). */
    public static final long MAX_NODE_OFFSET = (1L << 40) - 1;
    /** Tallest tree the format allows (levels are one byte; 32 levels of fanout 4 already exceed 2^48 extents). */
    public static final int MAX_HEIGHT = 32;

    /** Node header (kind, level, entry count) plus trailing CRC32C. */
    public static final int NODE_OVERHEAD_BYTES = 8;
    /** Worst-case encoded leaf entry: gap 7 + count 7 + tag 6 + block offset 5. */
    public static final int MAX_LEAF_ENTRY_BYTES = 25;
    /** Worst-case encoded internal entry: key 7 + seq 6 + offset 6 + length 3 + extents 7 + blocks 7 + nodes 7. */
    public static final int MAX_INTERNAL_ENTRY_BYTES = 43;

    public NodeLimits {
        if (maxNodeBytes <= 0 || maxNodeBytes > MAX_NODE_BYTES) {
            throw new IllegalArgumentException("maxNodeBytes must be in 1..%d. maxNodeBytes=%d"
                    .formatted(MAX_NODE_BYTES, maxNodeBytes));
        }
        checkFanout("maxLeafEntries", maxLeafEntries, MAX_LEAF_ENTRY_BYTES, maxNodeBytes);
        checkFanout("maxInternalEntries", maxInternalEntries, MAX_INTERNAL_ENTRY_BYTES, maxNodeBytes);
    }

    /** The default limits: 4096-byte nodes. */
    public static NodeLimits defaults() {
        return ofNodeBytes(DEFAULT_MAX_NODE_BYTES);
    }

    /** The largest fanouts whose worst-case nodes fit in {@code maxNodeBytes}. */
    public static NodeLimits ofNodeBytes(int maxNodeBytes) {
        int payload = maxNodeBytes - NODE_OVERHEAD_BYTES;
        return new NodeLimits(maxNodeBytes, Math.min(0xFFFF, payload / MAX_LEAF_ENTRY_BYTES),
                Math.min(0xFFFF, payload / MAX_INTERNAL_ENTRY_BYTES));
    }

    /** Both fanouts equal to {@code fanout}, with the smallest node size that holds them. */
    public static NodeLimits ofFanout(int fanout) {
        if (fanout < MIN_FANOUT || fanout > (MAX_NODE_BYTES - NODE_OVERHEAD_BYTES) / MAX_INTERNAL_ENTRY_BYTES) {
            throw new IllegalArgumentException("fanout out of range. fanout=" + fanout);
        }
        return new NodeLimits(NODE_OVERHEAD_BYTES + fanout * MAX_INTERNAL_ENTRY_BYTES, fanout, fanout);
    }

    /** Fewest entries a non-root leaf keeps: a third of the fanout, at least 2. */
    public int minLeafEntries() {
        return Math.max(2, (maxLeafEntries + 2) / 3);
    }

    /** Fewest children a non-root internal node keeps: a third of the fanout, at least 2. */
    public int minInternalEntries() {
        return Math.max(2, (maxInternalEntries + 2) / 3);
    }

    int maxEntries(int level) {
        return level == 0 ? maxLeafEntries : maxInternalEntries;
    }

    int minEntries(int level) {
        return level == 0 ? minLeafEntries() : minInternalEntries();
    }

    private static void checkFanout(String name, int fanout, int entryBytes, int maxNodeBytes) {
        if (fanout < MIN_FANOUT || fanout > 0xFFFF) {
            throw new IllegalArgumentException("%s must be in %d..65535. %s=%d".formatted(name, MIN_FANOUT, name, fanout));
        }
        if (NODE_OVERHEAD_BYTES + (long) fanout * entryBytes > maxNodeBytes) {
            throw new IllegalArgumentException("%s=%d worst-case nodes do not fit in maxNodeBytes=%d"
                    .formatted(name, fanout, maxNodeBytes));
        }
    }
}
