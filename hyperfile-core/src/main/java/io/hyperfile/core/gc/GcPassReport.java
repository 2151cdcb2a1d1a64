package io.hyperfile.core.gc;

import java.util.List;

/**
 * What one garbage collection pass found and did. {@code before} is the space report of the walk the pass planned
 * with. {@code deletedSegments}/{@code deletedBytes}: unreferenced segments deleted (planned, on a dry run);
 * {@code waitingSegments}/{@code waitingBytes}: unreferenced segments not deleted yet because the grace checkpoint
 * still reaches them or they are newer than it; {@code victims}: segments compacted; {@code movedBlocks}/{@code movedBytes}:
 * live data read and relocated; {@code rewrittenNodes}: index paths copied out of victims. {@code skipped} says why
 * deletion or compaction did not run (null when both ran as planned). {@code fromTable}: the pass planned from the
 * live table, without walking the index ({@code before} then counts segments only a snapshot reaches as live in
 * full); {@code tableChecked}: the live table (kept from the previous walk by the windows since) was compared with
 * this pass's walk;
 * {@code tableDifferences}: the segments where they disagreed (empty when they agree).
 */
public record GcPassReport(SpaceReport before, long newestSeq, long graceSeq, boolean dryRun, List<Long> deletedSegments,
        long deletedBytes, int waitingSegments, long waitingBytes, List<Long> victims, long movedBlocks, long movedBytes,
        int rewrittenNodes, String skipped, boolean fromTable, boolean tableChecked, List<String> tableDifferences) {
    public GcPassReport {
        deletedSegments = List.copyOf(deletedSegments);
        victims = List.copyOf(victims);
        tableDifferences = List.copyOf(tableDifferences);
    }

    /** One line for logs and the CLI. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        b.append(dryRun ? "would delete " : "deleted ").append(deletedSegments.size()).append(" segments (")
                .append(deletedBytes).append(" bytes); ").append(waitingSegments).append(" unreferenced segments (")
                .append(waitingBytes).append(" bytes) wait for the grace period; ")
                .append(dryRun ? "would compact " : "compacted ").append(victims.size()).append(" segments, moving ")
                .append(movedBytes).append(" live bytes and ").append(rewrittenNodes).append(" index paths");
        if (skipped != null) {
            b.append("; ").append(skipped);
        }
        return b.toString();
    }
}
