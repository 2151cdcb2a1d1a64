package io.hyperfile.core.volume;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What one compaction window moves (docs/GC.md, "Compaction"): block runs, sorted by start block and disjoint, and
 * the index paths to copy, each named by a block number routed to the node to rewrite (the leaf that holds it and
 * every internal node above it are written into the window's segment, so that they no longer pin the segment they
 * were stored in). A path is copied only if it still runs through a node stored in one of {@code victims} when the
 * window is indexed. Goes into a segment of its own, which {@link Volume#relocate} seals at once.
 */
public record RelocationBatch(List<Relocation> runs, long[] rewriteKeys, Set<Long> victims) {
    public RelocationBatch {
        runs = List.copyOf(Objects.requireNonNull(runs, "runs"));
        rewriteKeys = rewriteKeys.clone();
        victims = Set.copyOf(victims);
        for (int i = 1; i < runs.size(); i++) {
            if (runs.get(i).startBlock() < runs.get(i - 1).endBlock()) {
                throw new IllegalArgumentException("relocation runs must be sorted and disjoint: " + runs.get(i - 1)
                        + " then " + runs.get(i));
            }
        }
    }

    public int blockCount() {
        int n = 0;
        for (Relocation r : runs) {
            n += r.blockCount();
        }
        return n;
    }

    public boolean isEmpty() {
        return runs.isEmpty() && rewriteKeys.length == 0;
    }
}
