package io.hyperfile.core.index;

/**
 * A decoded index node: a {@link LeafNode} of extents or an {@link InternalNode} of children. Immutable and safe to
 * share between threads and snapshots; "modifying" a node builds a new one. Each node carries the totals of its
 * subtree (extents, mapped blocks, nodes), so counters and whole-subtree removal need no walk.
 */
public abstract sealed class IndexNode permits LeafNode, InternalNode {

    IndexNode() {
    }

    /** 0 for a leaf; a parent's level is its children's plus one. */
    public abstract int level();

    public final boolean isLeaf() {
        return level() == 0;
    }

    /** Extents in a leaf, children in an internal node; at least 1. */
    public abstract int entryCount();

    /** First block of the first extent in this subtree. */
    public abstract long firstBlock();

    /** Extents in this subtree. */
    public abstract long extentCount();

    /** Blocks covered by the extents of this subtree. */
    public abstract long mappedBlocks();

    /** Nodes in this subtree, this one included. */
    public abstract long nodeCount();

    /** Rough heap footprint, used to weigh the node in the {@link NodeCache}. */
    abstract long heapBytes();
}
