package io.hyperfile.core.index;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Read-only walks of a tree: point and range lookups, paging through extents, listing node pointers, verifying.
 * Pure functions of immutable nodes.
 *
 * <p>Range walks "gather": when a child is not loaded they note its pointer, skip it and go on, then throw one
 * {@link NodeNotLoadedException} naming every missing node they met. A cold range read therefore needs about
 * {@code height} retries, each loading a whole level of the range in parallel, instead of one retry per node.
 */
final class TreeReads {
    private TreeReads() {
    }

    /** The extent containing {@code blockNo}, or null for a hole. */
    static Extent find(IndexNode root, long blockNo, NodeResolver resolver) {
        IndexNode node = root;
        while (node instanceof InternalNode in) {
            int i = in.lastKeyAtOrBefore(blockNo);
            if (i < 0) {
                return null;
            }
            node = in.child(i, resolver);
        }
        LeafNode leaf = (LeafNode) node;
        int i = leaf.lastStartingAtOrBefore(blockNo);
        return i >= 0 && leaf.endBlock(i) > blockNo ? leaf.extent(i) : null;
    }

    static List<Run> lookup(IndexNode root, long start, long end, NodeResolver resolver) {
        List<Run> out = new ArrayList<>();
        Gather gather = new Gather(resolver);
        long cursor = root == null ? start : collectRuns(root, start, end, gather, out, start);
        gather.finish();
        if (cursor < end) {
            out.add(Run.hole(cursor, end - cursor));
        }
        return out;
    }

    private static long collectRuns(IndexNode node, long start, long end, Gather gather, List<Run> out, long cursor) {
        long at = cursor;
        if (node instanceof LeafNode leaf) {
            for (int i = leaf.firstEndingAfter(start); i < leaf.entryCount() && leaf.startBlock(i) < end; i++) {
                long s = Math.max(start, leaf.startBlock(i));
                long e = Math.min(end, leaf.endBlock(i));
                if (s > at) {
                    out.add(Run.hole(at, s - at));
                }
                out.add(new Run(s, e - s, leaf.location(i).advance(s - leaf.startBlock(i))));
                at = e;
            }
            return at;
        }
        InternalNode in = (InternalNode) node;
        int j = in.lastKeyAtOrBefore(end - 1);
        for (int k = Math.max(0, in.lastKeyAtOrBefore(start)); k <= j; k++) {
            IndexNode child = gather.child(in, k);
            if (child != null) {
                at = collectRuns(child, start, end, gather, out, at);
            }
        }
        return at;
    }

    /** Up to {@code max} extents ending after {@code fromBlock}, in order (the first may start before it). */
    static List<Extent> extents(IndexNode root, long fromBlock, int max, NodeResolver resolver) {
        List<Extent> out = new ArrayList<>(Math.min(max, 1024));
        Gather gather = new Gather(resolver);
        if (root != null) {
            collectExtents(root, fromBlock, max, gather, out);
        }
        gather.finish();
        return out;
    }

    private static void collectExtents(IndexNode node, long fromBlock, int max, Gather gather, List<Extent> out) {
        if (node instanceof LeafNode leaf) {
            for (int i = leaf.firstEndingAfter(fromBlock); i < leaf.entryCount() && gather.budget(out) < max; i++) {
                out.add(leaf.extent(i));
            }
            return;
        }
        InternalNode in = (InternalNode) node;
        for (int k = Math.max(0, in.lastKeyAtOrBefore(fromBlock)); k < in.entryCount() && gather.budget(out) < max; k++) {
            IndexNode child = gather.child(in, k);
            if (child != null) {
                collectExtents(child, fromBlock, max, gather, out);
            } else {
                gather.skipped += in.childExtentCount(k);
            }
        }
    }

    /** Calls {@code visitor} for every extent in order. Stops at the first missing node (no gathering). */
    static void forEach(IndexNode node, NodeResolver resolver, Consumer<Extent> visitor) {
        if (node instanceof LeafNode leaf) {
            for (int i = 0; i < leaf.entryCount(); i++) {
                visitor.accept(leaf.extent(i));
            }
            return;
        }
        InternalNode in = (InternalNode) node;
        for (int k = 0; k < in.entryCount(); k++) {
            forEach(in.child(k, resolver), resolver, visitor);
        }
    }

    /** Pointers of every saved node below {@code root} (not the root itself), loading internal nodes only. */
    static List<NodePointer> childPointers(IndexNode root, NodeResolver resolver) {
        List<NodePointer> out = new ArrayList<>();
        Gather gather = new Gather(resolver);
        if (root != null) {
            collectPointers(root, gather, out);
        }
        gather.finish();
        return out;
    }

    private static void collectPointers(IndexNode node, Gather gather, List<NodePointer> out) {
        if (!(node instanceof InternalNode in)) {
            return;
        }
        for (int k = 0; k < in.entryCount(); k++) {
            if (in.pointer(k) != null) {
                out.add(in.pointer(k));
            }
            if (in.level() > 1 || in.unsavedChild(k) != null) {
                IndexNode child = gather.child(in, k);
                if (child != null) {
                    collectPointers(child, gather, out);
                }
            }
        }
    }

    /** Resolves children, remembering the missing ones instead of failing at the first. */
    private static final class Gather {
        private final NodeResolver resolver;
        private List<NodePointer> missing;
        private long skipped;

        Gather(NodeResolver resolver) {
            this.resolver = resolver;
        }

        IndexNode child(InternalNode in, int k) {
            try {
                return in.child(k, resolver);
            } catch (NodeNotLoadedException e) {
                if (missing == null) {
                    missing = new ArrayList<>();
                }
                missing.addAll(e.pointers());
                return null;
            }
        }

        /** Extents collected plus extents in skipped subtrees: what a page limit is checked against. */
        long budget(List<Extent> out) {
            return out.size() + skipped;
        }

        void finish() {
            if (missing != null) {
                throw new NodeNotLoadedException(missing);
            }
        }
    }
}
