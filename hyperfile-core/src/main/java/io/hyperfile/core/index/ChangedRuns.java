package io.hyperfile.core.index;

import java.util.List;

/**
 * The result of {@link IndexDiff#changedRuns}: the block ranges whose mapping differs between two trees, sorted,
 * non-overlapping, and merged (two neighbours that touch differ in {@link ChangedRun#zero()}), and the nodes read
 * to find them (the cost). Immutable.
 *
 * <p>"Mapping" is what a block reads from: a stored block (segment and slot) or zeroes (a hole or a zero extent,
 * which read the same and are not told apart). Stored blocks are immutable, so equal mappings mean equal content;
 * the converse does not hold: a block rewritten with the bytes it had, or moved by garbage collection, is reported as
 * changed. The runs are therefore a superset of the blocks whose content changed, never a subset.
 */
public record ChangedRuns(List<ChangedRun> runs, long nodesRead) {
    public ChangedRuns {
        runs = List.copyOf(runs);
    }

    /** The number of changed blocks. */
    public long blockCount() {
        long n = 0;
        for (ChangedRun r : runs) {
            n += r.blockCount();
        }
        return n;
    }
}
