package io.hyperfile.core.index;

/**
 * Counters of one index snapshot, kept in the tree itself so they cost nothing to read.
 *
 * @param extentCount  extents (data and zero)
 * @param mappedBlocks blocks covered by extents (everything that is not a hole)
 * @param nodeCount    nodes in the tree
 * @param height       levels (0 for an empty index, 1 for a single leaf)
 */
public record IndexStats(long extentCount, long mappedBlocks, long nodeCount, int height) {
}
