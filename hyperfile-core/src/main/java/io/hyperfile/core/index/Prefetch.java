package io.hyperfile.core.index;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import java.util.stream.IntStream;

/**
 * The nodes of one snapshot that an operation is about to need, described by block ranges, so that
 * {@link IndexAccess#run(Prefetch, java.util.function.Function)} can load them level by level: at each level every
 * missing child that any range needs is fetched in the same round. A cold operation over many scattered ranges
 * then costs about {@code height} rounds of parallel fetches instead of one round per node.
 *
 * <p>Two shapes:
 * <ul>
 *   <li>{@link #forUpdate}: the paths to the edges of each range (blocks {@code start - 1}, {@code start},
 *       {@code end - 1} and {@code end}), which is what {@link MutableBlockIndex#put}, {@link MutableBlockIndex#putAll}
 *       and {@link MutableBlockIndex#remove} descend into: the inside of a range is replaced without being loaded.
 *       A range of more than one block may drop whole extents and leave a node underfull, which then merges with
 *       a sibling (the next child of the same parent, or the previous one for the last child). Internal nodes on
 *       such a range's edges get that sibling loaded with them; leaves only where the extents the ranges cover
 *       could take the leaf below its minimum, which is checked once the leaves are in (one more round, only when
 *       some leaf needs a sibling). A one-block range drops no entry unless it removes a one-block extent, so a
 *       window of scattered 4 KiB writes loads exactly its paths.
 *   <li>{@link #forRead}: every node whose key range meets a range, which is what {@link BlockIndex#lookup} visits.
 * </ul>
 *
 * <p>A prefetch is a hint, never needed for correctness: nodes it does not foresee (two internal nodes merging at
 * their seam, a one-block range emptying a leaf at its minimum, the child of a root that collapses) are still
 * loaded by the operation's own re-runs.
 *
 * <p>The ranges are worked out (copied, sorted and merged) the first time the prefetch is walked, which
 * {@link IndexAccess} does only once an operation misses a node: with every node in memory, as for each flush window
 * of a volume whose index is cached, a prefetch costs one small object. Not thread-safe, and neither is {@link Walk}:
 * one prefetch serves one operation.
 */
public final class Prefetch {
    private final NodeLimits limits;
    private final IndexNode root;
    /** Works out the fields below; null once it has. */
    private Consumer<Prefetch> plan;
    /** The ranges whose paths are loaded: sorted, disjoint, not adjacent. */
    private long[] starts;
    private long[] ends;
    /** Whether range {@code i} belongs to an update of more than one block (its internal nodes get siblings). */
    private boolean[] wide;
    /** The updates of more than one block, sorted, overlapping ones merged: what may empty leaves. */
    private long[] wideStarts;
    private long[] wideEnds;

    private Prefetch(NodeLimits limits, IndexNode root, Consumer<Prefetch> plan) {
        this.limits = limits;
        this.root = root;
        this.plan = plan;
    }

    private void set(Ranges paths, boolean[] wide, Ranges wideUpdates) {
        this.starts = paths.starts;
        this.ends = paths.ends;
        this.wide = wide;
        this.wideStarts = wideUpdates.starts;
        this.wideEnds = wideUpdates.ends;
    }

    private void planned() {
        if (plan != null) {
            plan.accept(this);
            plan = null;
        }
    }

    /**
     * The paths an update of {@code base} needs to change each of {@code ranges}: {@code startBlock} and
     * {@code blockCount} give a range's blocks, as for {@link MutableBlockIndex#put}.
     *
     * {@code ranges} is read again when the prefetch is first walked, so it must not change until the operation ends.
     *
     * @throws IllegalArgumentException if a range is empty or beyond {@link NodeLimits#MAX_BLOCKS}
     */
    public static <R> Prefetch forUpdate(BlockIndex base, List<R> ranges, ToLongFunction<R> startBlock,
                                         ToLongFunction<R> blockCount) {
        Objects.requireNonNull(base, "base");
        for (R range : ranges) {
            Extent.checkRange(startBlock.applyAsLong(range), blockCount.applyAsLong(range));
        }
        return new Prefetch(base.limits(), base.root(), p -> {
            Ranges points = new Ranges(4 * ranges.size());
            Ranges wideUpdates = new Ranges(ranges.size());
            for (R range : ranges) {
                long start = startBlock.applyAsLong(range);
                long count = blockCount.applyAsLong(range);
                long end = start + count;
                int tag = count > 1 ? 1 : 0;
                if (start > 0) {
                    points.add(start - 1, start, tag);
                }
                points.add(start, start + 1, tag);
                points.add(end - 1, end, tag);
                if (end < NodeLimits.MAX_BLOCKS) {
                    points.add(end, end + 1, tag);
                }
                if (count > 1) {
                    wideUpdates.add(start, end, 0);
                }
            }
            boolean[] wide = points.sortAndMerge(true);
            wideUpdates.sortAndMerge(false);
            p.set(points, wide, wideUpdates);
        });
    }

    /**
     * The nodes a read of {@code index} visits to look up each range {@code [starts[i], ends[i])}.
     *
     * @throws IllegalArgumentException if the arrays differ in length, or a range is empty or beyond
     *                                  {@link NodeLimits#MAX_BLOCKS}
     */
    public static Prefetch forRead(BlockIndex index, long[] starts, long[] ends) {
        Objects.requireNonNull(index, "index");
        if (starts.length != ends.length) {
            throw new IllegalArgumentException("starts and ends must have the same length. starts=%d, ends=%d"
                    .formatted(starts.length, ends.length));
        }
        for (int i = 0; i < starts.length; i++) {
            Extent.checkRange(starts[i], ends[i] - starts[i]);
        }
        long[] s = starts.clone();
        long[] e = ends.clone();
        return new Prefetch(index.limits(), index.root(), p -> {
            Ranges ranges = new Ranges(s.length);
            for (int i = 0; i < s.length; i++) {
                ranges.add(s[i], e[i], 0);
            }
            boolean[] wide = ranges.sortAndMerge(true);
            p.set(ranges, wide, new Ranges(0));
        });
    }

    /** Number of disjoint block ranges whose paths the prefetch loads (after merging). */
    public int rangeCount() {
        planned();
        return starts.length;
    }

    Walk walk() {
        planned();
        return new Walk();
    }

    /** Index of the first of the sorted, disjoint ranges {@code [s[i], e[i])} ending after {@code blockNo}. */
    private static int firstEndingAfter(long[] e, long blockNo) {
        int lo = 0;
        int hi = e.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (e[mid] > blockNo) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /** The blocks routed to child {@code k} of the frame's node. */
    private static long childLo(Frame f, int k) {
        return k == 0 ? f.lo() : f.node().key(k);
    }

    private static long childHi(Frame f, int k) {
        return k + 1 < f.node().entryCount() ? f.node().key(k + 1) : f.hi();
    }

    /** The child an underfull child {@code k} is merged with (see {@link TreeUpdate}), or -1 if it has none. */
    private static int sibling(InternalNode in, int k) {
        return k + 1 < in.entryCount() ? k + 1 : k - 1;
    }

    /**
     * Whether the wide updates meeting {@code leaf} (routed {@code [lo, hi)}) might take it below its minimum: each
     * drops at most the entries it covers whole, plus one (the new extent absorbs up to both neighbours).
     */
    private boolean mayUnderflow(LeafNode leaf, long lo, long hi) {
        long drop = 0;
        for (int r = firstEndingAfter(wideEnds, lo); r < wideStarts.length && wideStarts[r] < hi; r++) {
            int from = leaf.firstStartingAtOrAfter(wideStarts[r]);
            int to = leaf.firstEndingAfter(wideEnds[r]);
            drop += Math.max(0, to - from) + 1;
        }
        return drop > 0 && leaf.entryCount() - drop < limits.minLeafEntries();
    }

    /** An internal node of the walk's frontier and the blocks routed to it, {@code [lo, hi)}. */
    private record Frame(InternalNode node, long lo, long hi) {
    }

    /**
     * A walk down the tree, one level per {@link #step}, then one step for the leaves' siblings. Not thread-safe:
     * used by one run at a time.
     */
    final class Walk {
        private List<Frame> frontier;
        /** Parents of leaves whose siblings may be needed (set once the leaves are resolved). */
        private List<Frame> leafParents = List.of();

        private Walk() {
            frontier = root instanceof InternalNode in ? List.of(new Frame(in, 0, NodeLimits.MAX_BLOCKS)) : List.of();
        }

        /** True once every needed node has been resolved. */
        boolean isDone() {
            return frontier.isEmpty() && leafParents.isEmpty();
        }

        /**
         * Resolves, through {@code resolver}, the children of the frontier that the ranges need (or, after the last
         * level, the leaves' siblings). If all of them are there, the walk moves on and the result is empty;
         * otherwise the result names every missing one (in block order, once each) and the walk stays, so the
         * caller loads them and steps again.
         *
         * @throws NodeCorruptionException if a resolved child does not match its parent's entry
         */
        List<NodePointer> step(NodeResolver resolver) {
            if (frontier.isEmpty()) {
                return leafSiblings(resolver);
            }
            List<Frame> next = new ArrayList<>();
            LinkedHashSet<NodePointer> missing = new LinkedHashSet<>();
            for (Frame f : frontier) {
                InternalNode in = f.node();
                boolean[] needed = neededChildren(f);
                for (int k = 0; k < needed.length; k++) {
                    if (needed[k]) {
                        IndexNode child = resolve(in, k, resolver, missing);
                        if (child instanceof InternalNode c) {
                            next.add(new Frame(c, childLo(f, k), childHi(f, k)));
                        }
                    }
                }
            }
            if (!missing.isEmpty()) {
                return List.copyOf(missing);
            }
            if (frontier.get(0).node().level() == 1 && wideStarts.length > 0) {
                leafParents = frontier;
            }
            frontier = next;
            return List.of();
        }

        /** The children of {@code f}'s node that a range routed to it meets, and siblings of internal ones. */
        private boolean[] neededChildren(Frame f) {
            InternalNode in = f.node();
            boolean[] needed = new boolean[in.entryCount()];
            for (int r = firstEndingAfter(ends, f.lo()); r < starts.length && starts[r] < f.hi(); r++) {
                int first = Math.max(0, in.lastKeyAtOrBefore(Math.max(starts[r], f.lo())));
                int last = Math.max(0, in.lastKeyAtOrBefore(Math.min(ends[r], f.hi()) - 1));
                Arrays.fill(needed, first, last + 1, true);
                if (wide[r] && in.level() > 1) {
                    needed[Math.max(0, sibling(in, first))] = true;
                    needed[Math.max(0, sibling(in, last))] = true;
                }
            }
            return needed;
        }

        private List<NodePointer> leafSiblings(NodeResolver resolver) {
            LinkedHashSet<NodePointer> missing = new LinkedHashSet<>();
            for (Frame f : leafParents) {
                InternalNode in = f.node();
                boolean[] needed = neededChildren(f);
                for (int k = 0; k < needed.length; k++) {
                    int sibling = sibling(in, k);
                    if (!needed[k] || sibling < 0 || needed[sibling]) {
                        continue;
                    }
                    // Resolved by the last step; if the caller's resolver has lost it since, it is loaded again.
                    if (resolve(in, k, resolver, missing) instanceof LeafNode leaf
                            && mayUnderflow(leaf, childLo(f, k), childHi(f, k))) {
                        resolve(in, sibling, resolver, missing);
                    }
                }
            }
            if (!missing.isEmpty()) {
                return List.copyOf(missing);
            }
            leafParents = List.of();
            return List.of();
        }

        /** Child {@code k}, or null after adding what is missing to {@code missing}. */
        private IndexNode resolve(InternalNode in, int k, NodeResolver resolver, LinkedHashSet<NodePointer> missing) {
            try {
                return in.child(k, resolver);
            } catch (NodeNotLoadedException e) {
                missing.addAll(e.pointers());
                return null;
            }
        }
    }

    /** A growable list of ranges with a tag, sorted and merged once complete. Not thread-safe. */
    private static final class Ranges {
        long[] starts;
        long[] ends;
        private int[] tags;
        private int size;

        Ranges(int capacity) {
            starts = new long[capacity];
            ends = new long[capacity];
            tags = new int[capacity];
        }

        void add(long start, long end, int tag) {
            starts[size] = start;
            ends[size] = end;
            tags[size] = tag;
            size++;
        }

        /**
         * Sorts by start and merges ranges that overlap (or also touch, if {@code mergeTouching}); returns, per
         * merged range, whether any range in it had a non-zero tag.
         */
        boolean[] sortAndMerge(boolean mergeTouching) {
            int[] order = IntStream.range(0, size).boxed().sorted(Comparator.comparingLong(i -> starts[i]))
                    .mapToInt(Integer::intValue).toArray();
            long[] s = new long[size];
            long[] e = new long[size];
            boolean[] t = new boolean[size];
            int n = 0;
            for (int i : order) {
                if (n > 0 && (starts[i] < e[n - 1] || mergeTouching && starts[i] == e[n - 1])) {
                    e[n - 1] = Math.max(e[n - 1], ends[i]);
                    t[n - 1] |= tags[i] != 0;
                } else {
                    s[n] = starts[i];
                    e[n] = ends[i];
                    t[n] = tags[i] != 0;
                    n++;
                }
            }
            starts = Arrays.copyOf(s, n);
            ends = Arrays.copyOf(e, n);
            tags = null;
            size = n;
            return Arrays.copyOf(t, n);
        }
    }
}
