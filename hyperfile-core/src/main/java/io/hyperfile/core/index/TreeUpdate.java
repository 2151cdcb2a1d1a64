package io.hyperfile.core.index;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The copy-on-write update of the tree: "make blocks {@code [a, b)} a hole, or one extent". Every other mutation is
 * built from it. Pure: it never changes a node, it returns new ones; nodes it did not touch are shared by reference
 * or pointer. When the {@link NodeResolver} throws {@link NodeNotLoadedException} nothing has changed, so the caller
 * may load the node and run the update again.
 *
 * <p>Shape of the algorithm, for one node:
 * <ul>
 *   <li>Leaf: keep the extents before {@code a}, cut the one overlapping {@code a} (its left part stays), insert the
 *       new extent, cut the one overlapping {@code b} (its right part stays, its block offset shifted), keep the rest.
 *   <li>Internal: child {@code i} holds {@code a} (gets the new extent), child {@code j} holds {@code b - 1}; children
 *       strictly between lie entirely inside {@code [a, b)} and are dropped without being loaded, which is what makes
 *       a 4 GiB trim cost O(height) node visits instead of O(extents).
 *   <li>Overlay ({@link Replacement#overlay}, a flush window's extents that fall into one leaf): one pass over the
 *       leaf's entries and the new extents together keeps every piece of the old entries that no new extent covers.
 *   <li>Each call returns the node's replacement: nothing (it became empty), one node (possibly underfull), or two
 *       or more nodes of at least the minimum size (it overflowed and was split evenly). The parent merges underfull
 *       unsaved children with a neighbour (see {@link NodeLimits} for the policy); merging two internal nodes
 *       repeats the check at the seam one level down, so no underfull node survives except a root.
 * </ul>
 *
 * <p>Invariant used to avoid loading nodes just to check them: saved nodes are never underfull (only unsaved nodes,
 * created by this update or an earlier one in the same batch, can be).
 *
 * <p>Not thread-safe (one instance per update).
 */
final class TreeUpdate {
    private final NodeLimits limits;
    private final NodeResolver resolver;
    private final LivenessSink sink;

    TreeUpdate(NodeLimits limits, NodeResolver resolver) {
        this(limits, resolver, LivenessSink.NONE);
    }

    TreeUpdate(NodeLimits limits, NodeResolver resolver, LivenessSink sink) {
        this.limits = limits;
        this.resolver = resolver;
        this.sink = sink;
    }

    /**
     * Replaces {@code [a, b)} in the subtree of {@code node} with {@code extent} (which covers exactly {@code [a, b)})
     * or with a hole when it is null. Returns {@code List.of(node)} itself when nothing changed.
     */
    List<IndexNode> replace(IndexNode root, long a, long b, Extent extent) {
        return replace(root, a, b, extent == null ? List.of() : List.of(extent), false, NodeLimits.MAX_BLOCKS);
    }

    /**
     * Replaces {@code [a, b)} with {@code extents}: sorted, disjoint, inside {@code [a, b)}; what they leave
     * uncovered becomes a hole. One copy of each node on the way, however many extents.
     */
    List<IndexNode> replace(IndexNode root, long a, long b, List<Extent> extents) {
        return replace(root, a, b, extents, false, NodeLimits.MAX_BLOCKS);
    }

    /**
     * One part of a batch for {@link #replaceAll}: {@code [a, b)} becomes {@code extents}, as in {@link #replace};
     * or, as an overlay, {@code extents} are mapped over what {@code [a, b)} holds now, which stays wherever they
     * leave a gap. {@code extents} must not be empty, and an overlay's must start at {@code a} and end at {@code b}.
     */
    record Replacement(long a, long b, List<Extent> extents, boolean overlay) {
        Replacement {
            if (extents.isEmpty() || overlay && (extents.get(0).startBlock() != a
                    || extents.get(extents.size() - 1).endBlock() != b)) {
                throw new IllegalArgumentException("a replacement of [%d, %d) by %d extents (overlay %b)"
                        .formatted(a, b, extents.size(), overlay));
            }
        }

        /** {@code extents} (sorted, disjoint, not merging with what they overlay) over what the tree maps now. */
        static Replacement overlay(List<Extent> extents) {
            return new Replacement(extents.get(0).startBlock(), extents.get(extents.size() - 1).endBlock(), extents,
                    true);
        }
    }

    /**
     * Applies every replacement of {@code batch} in one descent, so each node on the changed paths is copied once;
     * one {@link #replace} per replacement would copy the nodes their paths share (the root, at least) once each.
     * The replacements are sorted and disjoint, and each lies within one child's key range at every level (one
     * leaf's range, which is how {@code MutableBlockIndex.putAll} groups a window's extents), so no two of them
     * meet in one leaf.
     */
    List<IndexNode> replaceAll(IndexNode root, List<Replacement> batch) {
        return replaceBatch(root, batch, 0, batch.size(), NodeLimits.MAX_BLOCKS);
    }

    private List<IndexNode> replaceBatch(IndexNode node, List<Replacement> batch, int from, int to, long hi) {
        if (to - from == 1) {
            Replacement r = batch.get(from);
            return replace(node, r.a(), r.b(), r.extents(), r.overlay(), hi);
        }
        if (!(node instanceof InternalNode in)) {
            throw new IllegalArgumentException("%d replacements of one batch fall into one leaf".formatted(to - from));
        }
        int n = in.entryCount();
        int[] changed = new int[to - from];
        List<List<IndexNode>> replacements = new ArrayList<>(to - from);
        boolean inPlace = true;
        for (int r = from; r < to; ) {
            int k = Math.max(0, in.lastKeyAtOrBefore(batch.get(r).a()));
            long childHi = k + 1 < n ? in.key(k + 1) : hi;
            int s = r + 1;
            while (s < to && batch.get(s).a() < childHi) {
                s++;
            }
            if (batch.get(s - 1).b() > childHi) {
                throw new IllegalArgumentException("replacement [%d, %d) of a batch spans two children"
                        .formatted(batch.get(s - 1).a(), batch.get(s - 1).b()));
            }
            List<IndexNode> pieces;
            if (s - r == 1) {
                Replacement x = batch.get(r);
                pieces = replaceChild(in, k, x.a(), x.b(), x.extents(), x.overlay(), hi);
            } else {
                IndexNode child = in.child(k, resolver);
                pieces = replaceBatch(child, batch, r, s, childHi);
                if (pieces.size() == 1 && pieces.get(0) == child) {
                    pieces = null;
                } else if (in.pointer(k) != null) {
                    sink.nodeDropped(in.pointer(k)); // replaced by its copy
                }
            }
            if (pieces != null) {
                changed[replacements.size()] = k;
                replacements.add(pieces);
                inPlace &= pieces.size() == 1 && !isUnderfull(pieces.get(0));
            }
            r = s;
        }
        if (replacements.isEmpty()) {
            return List.of(node);
        }
        if (inPlace) {
            return List.of(in.withChildren(changed, replacements));
        }
        List<ChildRef> refs = new ArrayList<>(n + replacements.size() * 2);
        int c = 0;
        for (int k = 0; k < n; k++) {
            if (c < replacements.size() && changed[c] == k) {
                for (IndexNode piece : replacements.get(c++)) {
                    refs.add(ChildRef.of(piece));
                }
            } else {
                refs.add(in.ref(k));
            }
        }
        fixUnderfull(refs, in.level() - 1);
        return build(in.level(), refs);
    }

    /** As {@link #replace(IndexNode, long, long, List)} for a subtree whose extents all end by {@code hi}. */
    private List<IndexNode> replace(IndexNode node, long a, long b, List<Extent> extents, boolean overlay, long hi) {
        if (node instanceof LeafNode leaf) {
            return overlay ? overlayInLeaf(leaf, a, b, extents) : replaceInLeaf(leaf, a, b, extents);
        }
        return replaceInInternal((InternalNode) node, a, b, extents, overlay, hi);
    }

    /** A root for the replacement pieces of the old root: null if none, adding levels while there are several. */
    IndexNode grow(List<IndexNode> pieces) {
        List<IndexNode> level = pieces;
        while (level.size() > 1) {
            List<ChildRef> refs = new ArrayList<>(level.size());
            for (IndexNode n : level) {
                refs.add(ChildRef.of(n));
            }
            level = build(level.get(0).level() + 1, refs);
        }
        return level.isEmpty() ? null : level.get(0);
    }

    private List<IndexNode> replaceInLeaf(LeafNode leaf, long a, long b, List<Extent> extents) {
        int n = leaf.entryCount();
        int lo = leaf.firstEndingAfter(a);
        int hi = leaf.firstStartingAtOrAfter(b);
        if (lo >= hi && extents.isEmpty()) {
            return List.of(leaf);
        }
        if (sink != LivenessSink.NONE) {
            for (int k = lo; k < hi; k++) {
                if (leaf.seq(k) != LeafNode.ZERO_SEQ) {
                    sink.data(leaf.seq(k), -(Math.min(b, leaf.endBlock(k)) - Math.max(a, leaf.startBlock(k))));
                }
            }
            for (Extent extent : extents) {
                if (extent.location() instanceof Location.Data d) {
                    sink.data(d.segmentSeq(), extent.blockCount());
                }
            }
        }
        boolean leftPart = lo < hi && leaf.startBlock(lo) < a;
        boolean rightPart = lo < hi && leaf.endBlock(hi - 1) > b;
        // Exact size, so that a leaf that needs no split takes the builder's arrays as they are.
        LeafBuilder out = new LeafBuilder(lo + (leftPart ? 1 : 0) + extents.size() + (rightPart ? 1 : 0) + (n - hi));
        out.addRange(leaf, 0, lo);
        if (leftPart) {
            out.add(leaf.startBlock(lo), a - leaf.startBlock(lo), leaf.seq(lo), leaf.offset(lo));
        }
        for (Extent extent : extents) {
            out.add(extent.startBlock(), extent.blockCount(), LeafNode.seqOf(extent.location()),
                    LeafNode.offsetOf(extent.location()));
        }
        if (rightPart) {
            int k = hi - 1;
            long shift = b - leaf.startBlock(k);
            out.add(b, leaf.endBlock(k) - b, leaf.seq(k), leaf.seq(k) == LeafNode.ZERO_SEQ ? 0 : leaf.offset(k) + shift);
        }
        out.addRange(leaf, hi, n);
        return out.split(limits.maxLeafEntries());
    }

    /**
     * {@code extents} (sorted, disjoint, covering {@code a} and {@code b - 1}) mapped over the leaf: what the leaf maps
     * in the gaps between them stays, cut at their edges (a data remainder's block offset shifted), as in
     * {@link #replaceInLeaf} for each extent on its own but in one pass and one copy. None of them continues the
     * location of what it meets (they point into a new segment), so nothing merges.
     */
    private List<IndexNode> overlayInLeaf(LeafNode leaf, long a, long b, List<Extent> extents) {
        int n = leaf.entryCount();
        int lo = leaf.firstEndingAfter(a);
        int hi = leaf.firstStartingAtOrAfter(b);
        // Exact size, so that a leaf that needs no split takes the builder's arrays as they are.
        LeafBuilder out = new LeafBuilder(lo + overlay(leaf, lo, hi, extents, null) + (n - hi));
        out.addRange(leaf, 0, lo);
        overlay(leaf, lo, hi, extents, out);
        out.addRange(leaf, hi, n);
        return out.split(limits.maxLeafEntries());
    }

    /**
     * Adds to {@code out} {@code extents} and what the leaf's entries {@code [lo, hi)} keep between them, in block
     * order, and reports what that changes in the segments' live blocks; with {@code out} null, only counts.
     *
     * @return the entries added
     */
    private int overlay(LeafNode leaf, int lo, int hi, List<Extent> extents, LeafBuilder out) {
        int count = extents.size();
        int added = 0;
        int next = 0; // the next extent to add
        for (int k = lo; k < hi; k++) {
            long start = leaf.startBlock(k);
            long end = leaf.endBlock(k);
            long seq = leaf.seq(k);
            long at = start;
            while (at < end) {
                for (; next < count && extents.get(next).startBlock() <= at; next++, added++) {
                    if (out != null) {
                        addExtent(out, extents.get(next));
                    }
                }
                long coveredTo = next > 0 ? extents.get(next - 1).endBlock() : Long.MIN_VALUE;
                long to;
                if (coveredTo > at) {
                    to = Math.min(end, coveredTo);
                    if (out != null && seq != LeafNode.ZERO_SEQ) {
                        sink.data(seq, -(to - at));
                    }
                } else {
                    to = next < count ? Math.min(end, extents.get(next).startBlock()) : end;
                    if (out != null) {
                        out.add(at, to - at, seq, seq == LeafNode.ZERO_SEQ ? 0 : leaf.offset(k) + (at - start));
                    }
                    added++;
                }
                at = to;
            }
        }
        for (; next < count; next++, added++) {
            if (out != null) {
                addExtent(out, extents.get(next));
            }
        }
        return added;
    }

    private void addExtent(LeafBuilder out, Extent extent) {
        Location location = extent.location();
        if (location instanceof Location.Data d) {
            sink.data(d.segmentSeq(), extent.blockCount());
        }
        out.add(extent.startBlock(), extent.blockCount(), LeafNode.seqOf(location), LeafNode.offsetOf(location));
    }

    private List<IndexNode> replaceInInternal(InternalNode node, long a, long b, List<Extent> extents, boolean overlay,
            long hi) {
        int n = node.entryCount();
        int i = Math.max(0, node.lastKeyAtOrBefore(a));
        int j = Math.max(i, node.lastKeyAtOrBefore(b - 1));
        if (overlay && j > i) {
            throw new IllegalArgumentException("overlay [%d, %d) spans two children".formatted(a, b));
        }
        List<IndexNode> newI = replaceChild(node, i, a, b, extents, overlay, hi);
        if (j == i) {
            if (newI == null) {
                return List.of(node);
            }
            if (newI.size() == 1 && !isUnderfull(newI.get(0))) {
                return List.of(node.withChild(i, newI.get(0)));
            }
        }
        List<ChildRef> refs = new ArrayList<>(n + 4);
        for (int k = 0; k < i; k++) {
            refs.add(node.ref(k));
        }
        addReplacement(refs, node, i, newI);
        for (int k = i + 1; k < j; k++) {
            dropped(node.ref(k)); // wholly inside [a, b): gone without being loaded
        }
        if (j > i) {
            addReplacement(refs, node, j, replaceChild(node, j, a, b, List.of(), false, hi));
        }
        for (int k = j + 1; k < n; k++) {
            refs.add(node.ref(k));
        }
        fixUnderfull(refs, node.level() - 1);
        return build(node.level(), refs);
    }

    /**
     * The replacement of child {@code k}, or null if it is unchanged. A child lying entirely inside a range that
     * becomes a hole is dropped without being loaded; a child that receives the new extent is always descended
     * into (only along the left edge of the range, so O(height) nodes).
     */
    private List<IndexNode> replaceChild(InternalNode node, int k, long a, long b, List<Extent> extents,
            boolean overlay, long hi) {
        long childHi = k + 1 < node.entryCount() ? node.key(k + 1) : hi;
        if (extents.isEmpty() && a <= node.key(k) && childHi <= b) {
            dropped(node.ref(k));
            return List.of();
        }
        IndexNode child = node.child(k, resolver);
        List<IndexNode> pieces = replace(child, a, b, extents, overlay, childHi);
        if (pieces.size() == 1 && pieces.get(0) == child) {
            return null;
        }
        if (node.pointer(k) != null) {
            sink.nodeDropped(node.pointer(k)); // replaced by its copy (or by nothing)
        }
        return pieces;
    }

    /** A child that is dropped whole: a saved one is reported as a subtree; an unsaved one is taken apart here. */
    private void dropped(ChildRef ref) {
        if (sink == LivenessSink.NONE) {
            return;
        }
        if (!ref.isUnsaved()) {
            sink.subtreeDropped(ref.pointer());
        } else if (ref.node() instanceof LeafNode leaf) {
            for (int k = 0; k < leaf.entryCount(); k++) {
                if (leaf.seq(k) != LeafNode.ZERO_SEQ) {
                    sink.data(leaf.seq(k), -leaf.blockCount(k));
                }
            }
        } else {
            InternalNode in = (InternalNode) ref.node();
            for (int k = 0; k < in.entryCount(); k++) {
                dropped(in.ref(k));
            }
        }
    }

    private static void addReplacement(List<ChildRef> refs, InternalNode node, int k, List<IndexNode> pieces) {
        if (pieces == null) {
            refs.add(node.ref(k));
        } else {
            for (IndexNode piece : pieces) {
                refs.add(ChildRef.of(piece));
            }
        }
    }

    private boolean isUnderfull(IndexNode node) {
        return node.entryCount() < limits.minEntries(node.level());
    }

    /**
     * Merges every underfull unsaved child in {@code refs} with a neighbour until none is left or only one child
     * remains. Prefers a neighbour that is unsaved too (no load needed, and it is likely also small).
     */
    private void fixUnderfull(List<ChildRef> refs, int childLevel) {
        int min = limits.minEntries(childLevel);
        while (refs.size() >= 2) {
            int p = -1;
            for (int k = 0; k < refs.size(); k++) {
                ChildRef r = refs.get(k);
                if (r.isUnsaved() && r.node().entryCount() < min) {
                    p = k;
                    break;
                }
            }
            if (p < 0) {
                return;
            }
            int left;
            if (p == 0) {
                left = 0;
            } else if (p == refs.size() - 1) {
                left = p - 1;
            } else {
                left = refs.get(p + 1).isUnsaved() || !refs.get(p - 1).isUnsaved() ? p : p - 1;
            }
            for (ChildRef r : List.of(refs.get(left), refs.get(left + 1))) {
                if (!r.isUnsaved()) {
                    sink.nodeDropped(r.pointer()); // absorbed into the merged node(s)
                }
            }
            List<IndexNode> merged = merge(resolve(refs.get(left), childLevel), resolve(refs.get(left + 1), childLevel));
            refs.remove(left + 1);
            refs.remove(left);
            for (int k = merged.size() - 1; k >= 0; k--) {
                refs.add(left, ChildRef.of(merged.get(k)));
            }
        }
    }

    private IndexNode resolve(ChildRef ref, int level) {
        if (ref.node() != null) {
            return ref.node();
        }
        return InternalNode.checkChild(ref, level, resolver.resolve(ref.pointer()));
    }

    /** Two neighbours of one level as one node, or two even halves if they do not fit in one. */
    private List<IndexNode> merge(IndexNode left, IndexNode right) {
        if (left instanceof LeafNode l) {
            LeafNode r = (LeafNode) right;
            LeafBuilder out = new LeafBuilder(l.entryCount() + r.entryCount());
            out.addRange(l, 0, l.entryCount());
            out.addRange(r, 0, r.entryCount());
            return out.split(limits.maxLeafEntries());
        }
        InternalNode l = (InternalNode) left;
        InternalNode r = (InternalNode) right;
        List<ChildRef> refs = new ArrayList<>(l.entryCount() + r.entryCount());
        for (int k = 0; k < l.entryCount(); k++) {
            refs.add(l.ref(k));
        }
        for (int k = 0; k < r.entryCount(); k++) {
            refs.add(r.ref(k));
        }
        fixUnderfull(refs, l.level() - 1);
        return build(l.level(), refs);
    }

    /** Internal nodes of {@code level} holding {@code refs}: none, one, or as few even pieces as fit. */
    private List<IndexNode> build(int level, List<ChildRef> refs) {
        int size = refs.size();
        if (size == 0) {
            return List.of();
        }
        int pieces = ceilDiv(size, limits.maxInternalEntries());
        List<IndexNode> out = new ArrayList<>(pieces);
        for (int p = 0; p < pieces; p++) {
            out.add(InternalNode.of(level, refs, (int) ((long) size * p / pieces), (int) ((long) size * (p + 1) / pieces)));
        }
        return out;
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}
