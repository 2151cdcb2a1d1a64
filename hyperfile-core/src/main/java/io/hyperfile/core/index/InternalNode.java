package io.hyperfile.core.index;

import java.util.List;

/**
 * An internal node: up to {@link NodeLimits#maxInternalEntries()} children in block order. Entry {@code i} holds
 * the child's key (the first block of its first extent, strictly increasing), the child itself (a {@link NodePointer}
 * once saved, the node object while unsaved) and the totals of its subtree. All extents of child {@code i} lie in
 * {@code [key(i), key(i+1))}. Immutable.
 */
public final class InternalNode extends IndexNode {
    private final int level;
    private final long[] keys;
    private final NodePointer[] pointers;
    /** Unsaved children, null where the child is saved; the whole array is null when every child is saved. */
    private final IndexNode[] unsaved;
    private final long[] extentCounts;
    private final long[] blockCounts;
    private final long[] nodeCounts;
    private final long extentTotal;
    private final long blockTotal;
    private final long nodeTotal;

    /** Takes ownership of the arrays; exactly one of {@code pointers[i]} and {@code unsaved[i]} is set. */
    InternalNode(int level, long[] keys, NodePointer[] pointers, IndexNode[] unsaved, long[] extentCounts,
                 long[] blockCounts, long[] nodeCounts) {
        this.level = level;
        this.keys = keys;
        this.pointers = pointers;
        this.unsaved = unsaved;
        this.extentCounts = extentCounts;
        this.blockCounts = blockCounts;
        this.nodeCounts = nodeCounts;
        long e = 0;
        long b = 0;
        long n = 1;
        for (int i = 0; i < keys.length; i++) {
            e += extentCounts[i];
            b += blockCounts[i];
            n += nodeCounts[i];
        }
        this.extentTotal = e;
        this.blockTotal = b;
        this.nodeTotal = n;
    }

    /** A node of the children {@code refs[from, to)}. */
    static InternalNode of(int level, List<ChildRef> refs, int from, int to) {
        int n = to - from;
        long[] keys = new long[n];
        NodePointer[] pointers = new NodePointer[n];
        IndexNode[] unsaved = null;
        long[] e = new long[n];
        long[] b = new long[n];
        long[] c = new long[n];
        for (int i = 0; i < n; i++) {
            ChildRef r = refs.get(from + i);
            keys[i] = r.key();
            pointers[i] = r.pointer();
            if (r.node() != null) {
                if (unsaved == null) {
                    unsaved = new IndexNode[n];
                }
                unsaved[i] = r.node();
            }
            e[i] = r.extents();
            b[i] = r.blocks();
            c[i] = r.nodes();
        }
        return new InternalNode(level, keys, pointers, unsaved, e, b, c);
    }

    @Override
    public int level() {
        return level;
    }

    @Override
    public int entryCount() {
        return keys.length;
    }

    @Override
    public long firstBlock() {
        return keys[0];
    }

    @Override
    public long extentCount() {
        return extentTotal;
    }

    @Override
    public long mappedBlocks() {
        return blockTotal;
    }

    @Override
    public long nodeCount() {
        return nodeTotal;
    }

    public long key(int i) {
        return keys[i];
    }

    /** Pointer to child {@code i}, or null while that child is unsaved. */
    public NodePointer pointer(int i) {
        return pointers[i];
    }

    public long childExtentCount(int i) {
        return extentCounts[i];
    }

    public long childMappedBlocks(int i) {
        return blockCounts[i];
    }

    public long childNodeCount(int i) {
        return nodeCounts[i];
    }

    /** True when every child is referenced by pointer (the node can be encoded). */
    public boolean isSaved() {
        return unsaved == null;
    }

    /** The unsaved child {@code i}, or null if it is saved. */
    IndexNode unsavedChild(int i) {
        return unsaved == null ? null : unsaved[i];
    }

    /**
     * Child {@code i}, from memory or through {@code resolver}. A resolved child is checked against this entry
     * (level, first block, totals); a mismatch means the pointer or the node is corrupt.
     */
    IndexNode child(int i, NodeResolver resolver) {
        IndexNode node = unsavedChild(i);
        return node != null ? node : check(i, resolver.resolve(pointers[i]));
    }

    private IndexNode check(int i, IndexNode node) {
        return checkChild(ref(i), level - 1, node);
    }

    /** {@code node}, resolved from {@code ref.pointer()}, if it matches the parent's entry {@code ref}. */
    static IndexNode checkChild(ChildRef ref, int level, IndexNode node) {
        if (node.level() != level || node.firstBlock() != ref.key() || node.extentCount() != ref.extents()
                || node.mappedBlocks() != ref.blocks() || node.nodeCount() != ref.nodes()) {
            throw new NodeCorruptionException(ref.pointer(), ("does not match its parent entry: expected level %d, "
                    + "first block %d, %d extents, %d blocks, %d nodes; found level %d, first block %d, %d extents, "
                    + "%d blocks, %d nodes").formatted(level, ref.key(), ref.extents(), ref.blocks(), ref.nodes(),
                    node.level(), node.firstBlock(), node.extentCount(), node.mappedBlocks(), node.nodeCount()));
        }
        return node;
    }

    /** This node with every child referenced by pointer, {@code childPointers[i]} for the unsaved ones. */
    InternalNode withPointers(NodePointer[] childPointers) {
        NodePointer[] p = pointers.clone();
        for (int i = 0; i < p.length; i++) {
            if (p[i] == null) {
                p[i] = childPointers[i];
            }
        }
        return new InternalNode(level, keys, p, null, extentCounts, blockCounts, nodeCounts);
    }

    ChildRef ref(int i) {
        return new ChildRef(keys[i], pointers[i], unsavedChild(i), extentCounts[i], blockCounts[i], nodeCounts[i]);
    }

    /** A copy with child {@code i} replaced by the unsaved node {@code child}. */
    InternalNode withChild(int i, IndexNode child) {
        return withChildren(new int[] {i}, List.of(List.of(child)));
    }

    /**
     * A copy with child {@code indexes[j]} replaced by the only node of {@code children.get(j)}, for each {@code j}
     * below {@code children.size()} (the indexes ascending).
     */
    InternalNode withChildren(int[] indexes, List<List<IndexNode>> children) {
        long[] k = keys.clone();
        NodePointer[] p = pointers.clone();
        IndexNode[] u = unsaved == null ? new IndexNode[keys.length] : unsaved.clone();
        long[] e = extentCounts.clone();
        long[] b = blockCounts.clone();
        long[] c = nodeCounts.clone();
        for (int j = 0; j < children.size(); j++) {
            int i = indexes[j];
            IndexNode child = children.get(j).get(0);
            k[i] = child.firstBlock();
            p[i] = null;
            u[i] = child;
            e[i] = child.extentCount();
            b[i] = child.mappedBlocks();
            c[i] = child.nodeCount();
        }
        return new InternalNode(level, k, p, u, e, b, c);
    }

    /** Index of the last child whose key is at or before {@code blockNo}, or -1. */
    int lastKeyAtOrBefore(long blockNo) {
        int lo = 0;
        int hi = keys.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (keys[mid] <= blockNo) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi;
    }

    @Override
    long heapBytes() {
        return 96 + 5 * (16 + 8L * keys.length) + 2 * (16 + 4L * keys.length) + 40L * keys.length;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Internal{level=").append(level);
        for (int i = 0; i < keys.length; i++) {
            sb.append(' ').append(keys[i]).append("->").append(pointers[i] != null ? pointers[i] : "unsaved");
        }
        return sb.append('}').toString();
    }
}
