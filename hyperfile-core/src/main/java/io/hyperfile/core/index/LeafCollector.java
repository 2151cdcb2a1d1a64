package io.hyperfile.core.index;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects the leaves that are in one tree only (from {@link IndexDiff}'s walk) and turns them into changed runs.
 *
 * <p>Why the leaves suffice: a subtree both trees share maps the blocks of its span (first extent start to last
 * extent end) identically in both, and no leaf of either tree that the other lacks has an extent inside such a span
 * (extents of a B-tree are ordered by subtree). So on the union of the unshared leaves' extents each tree's mapping
 * is given by its own unshared extents (a block not in one is a hole there), and everywhere else the trees agree.
 * Comparing the two sorted extent lists block range by block range gives exactly the blocks whose mapping differs;
 * unchanged extents of a changed leaf appear on both sides and cancel out.
 *
 * <p>Memory: the extents of the unshared leaves (three longs each side). Not thread-safe: confined to one walk.
 */
final class LeafCollector implements IndexDiff.Visitor {
    private final List<LeafNode> from = new ArrayList<>();
    private final List<LeafNode> to = new ArrayList<>();

    @Override
    public void node(int side, NodePointer pointer, IndexNode node) {
        if (node instanceof LeafNode leaf) {
            (side == 0 ? from : to).add(leaf);
        }
    }

    ChangedRuns runs(long nodesRead) {
        Side a = new Side(from);
        Side b = new Side(to);
        List<ChangedRun> out = new ArrayList<>();
        long pos = 0;
        while (true) {
            a.skipEndedBefore(pos);
            b.skipEndedBefore(pos);
            if (a.done() && b.done()) {
                break;
            }
            boolean inA = a.covers(pos);
            boolean inB = b.covers(pos);
            if (!inA && !inB) {
                pos = Math.min(a.nextStart(), b.nextStart());
                continue;
            }
            long end = Math.min(inA ? a.end() : a.nextStart(), inB ? b.end() : b.nextStart());
            boolean zeroA = !inA || a.isZero();
            boolean zeroB = !inB || b.isZero();
            boolean same = zeroA && zeroB
                    || !zeroA && !zeroB && a.seq() == b.seq() && a.offsetAt(pos) == b.offsetAt(pos);
            if (!same) {
                add(out, pos, end - pos, zeroB);
            }
            pos = end;
        }
        return new ChangedRuns(out, nodesRead);
    }

    private static void add(List<ChangedRun> out, long start, long count, boolean zero) {
        if (!out.isEmpty()) {
            ChangedRun last = out.get(out.size() - 1);
            if (last.endBlock() == start && last.zero() == zero) {
                out.set(out.size() - 1, new ChangedRun(last.startBlock(), last.blockCount() + count, zero));
                return;
            }
        }
        out.add(new ChangedRun(start, count, zero));
    }

    /** One side's extents in block order, with a cursor. */
    private static final class Side {
        private final long[] starts;
        private final long[] counts;
        private final long[] seqs;
        private final long[] offsets;
        private int i;

        Side(List<LeafNode> leaves) {
            List<LeafNode> sorted = new ArrayList<>(leaves);
            sorted.sort((x, y) -> Long.compare(x.firstBlock(), y.firstBlock()));
            int n = 0;
            for (LeafNode l : sorted) {
                n += l.entryCount();
            }
            starts = new long[n];
            counts = new long[n];
            seqs = new long[n];
            offsets = new long[n];
            int at = 0;
            for (LeafNode l : sorted) {
                l.copyEntries(0, l.entryCount(), starts, counts, seqs, offsets, at);
                at += l.entryCount();
            }
        }

        void skipEndedBefore(long pos) {
            while (i < starts.length && starts[i] + counts[i] <= pos) {
                i++;
            }
        }

        boolean done() {
            return i >= starts.length;
        }

        boolean covers(long pos) {
            return i < starts.length && starts[i] <= pos;
        }

        long nextStart() {
            return i < starts.length ? starts[i] : Long.MAX_VALUE;
        }

        long end() {
            return starts[i] + counts[i];
        }

        boolean isZero() {
            return seqs[i] == LeafNode.ZERO_SEQ;
        }

        long seq() {
            return seqs[i];
        }

        long offsetAt(long pos) {
            return offsets[i] + (pos - starts[i]);
        }
    }
}
