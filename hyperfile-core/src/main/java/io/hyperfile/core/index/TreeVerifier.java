package io.hyperfile.core.index;

/**
 * Checks every invariant of a tree (for tests and {@code fsck}): levels, keys equal to first blocks and strictly
 * increasing, extents sorted, non-overlapping, inside their parent's key range and merged with no continuing
 * neighbour, entry counts within the {@link NodeLimits} (underflow policy included), subtree totals. Walks the whole
 * tree; run it with a resolver that can load every node.
 */
final class TreeVerifier {
    private final NodeLimits limits;
    private final NodeResolver resolver;
    private long prevEnd = -1;
    private long prevSeq;
    private long prevOffsetEnd;

    TreeVerifier(NodeLimits limits, NodeResolver resolver) {
        this.limits = limits;
        this.resolver = resolver;
    }

    void verify(IndexNode root) {
        if (root == null) {
            return;
        }
        if (root instanceof InternalNode && root.entryCount() < 2) {
            fail(root, "internal root with one child");
        }
        verifyNode(root, true, 0, NodeLimits.MAX_BLOCKS);
    }

    private void verifyNode(IndexNode node, boolean isRoot, long lo, long hi) {
        int n = node.entryCount();
        int max = limits.maxEntries(node.level());
        int min = isRoot ? 1 : limits.minEntries(node.level());
        if (n < min || n > max) {
            fail(node, "%d entries, allowed %d..%d".formatted(n, min, max));
        }
        if (node instanceof LeafNode leaf) {
            verifyLeaf(leaf, lo, hi);
            return;
        }
        InternalNode in = (InternalNode) node;
        long extents = 0;
        long blocks = 0;
        long nodes = 1;
        for (int k = 0; k < n; k++) {
            long key = in.key(k);
            long next = k + 1 < n ? in.key(k + 1) : hi;
            if (key < lo || key >= next) {
                fail(node, "key %d of child %d outside [%d, %d)".formatted(key, k, lo, next));
            }
            if ((in.pointer(k) == null) == (in.unsavedChild(k) == null)) {
                fail(node, "child %d must have exactly one of pointer and node".formatted(k));
            }
            IndexNode child = in.child(k, resolver);
            verifyNode(child, false, key, next);
            extents += child.extentCount();
            blocks += child.mappedBlocks();
            nodes += child.nodeCount();
        }
        if (extents != in.extentCount() || blocks != in.mappedBlocks() || nodes != in.nodeCount()) {
            fail(node, "totals do not add up");
        }
    }

    private void verifyLeaf(LeafNode leaf, long lo, long hi) {
        for (int i = 0; i < leaf.entryCount(); i++) {
            long start = leaf.startBlock(i);
            long count = leaf.blockCount(i);
            if (count <= 0 || start < lo || start + count > hi || start < prevEnd) {
                fail(leaf, "extent %d %s out of order or outside [%d, %d)".formatted(i, leaf.extent(i), lo, hi));
            }
            long seq = leaf.seq(i);
            boolean continues = start == prevEnd && seq == prevSeq
                    && (seq == LeafNode.ZERO_SEQ || leaf.offset(i) == prevOffsetEnd);
            if (continues) {
                fail(leaf, "extent %d %s continues its predecessor and was not merged".formatted(i, leaf.extent(i)));
            }
            prevEnd = start + count;
            prevSeq = seq;
            prevOffsetEnd = leaf.offset(i) + count;
        }
    }

    private static void fail(IndexNode node, String what) {
        throw new IllegalStateException("index invariant broken at level " + node.level() + " node " + node + ": "
                + what);
    }
}
