package io.hyperfile.core.gc;

import io.hyperfile.core.index.Location;
import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.segment.ExtentRecord;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.volume.HealthState;
import io.hyperfile.core.volume.Relocation;
import io.hyperfile.core.volume.RelocationBatch;
import io.hyperfile.core.volume.Volume;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One garbage collection pass after its plan (docs/GC.md, "A pass"): deletes the segments nothing needs, then compacts
 * the mostly-dead ones. The plan comes from a walk ({@link SpaceAccounting#walk}) or from the live table
 * ({@link TablePlan}); {@code victims} says where a victim's live blocks and nodes are.
 *
 * <p>Confined to its chain of futures (each step runs after the previous one completed).
 */
final class GcPass {
    /** Keys per delete request (S3 DeleteObjects takes at most 1,000). */
    static final int DELETE_BATCH = 1000;
    /** Blocks per GET when reading what a pass moves. */
    static final int MAX_READ_BLOCKS = 256;
    /** How often a compaction window waiting for client writes looks at the write buffer again. */
    static final long YIELD_CHECK_NANOS = 20_000_000L;
    /** The longest a compaction window waits for client writes. */
    static final long MAX_YIELD_NANOS = 10_000_000_000L;

    private final ObjectStore store;
    private final String prefix;
    private final Volume volume;
    private final GcConfig config;
    private final Clock clock;
    private final GcPacer pacer;
    private final boolean fromTable;
    private final VictimSource victimSource;
    private final SpaceAccounting.Liveness live;
    private final SpaceReport report;
    private final boolean dryRun;
    private final Consumer<String> progress;
    private final SegmentReader reader;
    private final int blockSize;
    private final List<Long> deleted = new ArrayList<>();
    private long deletedBytes;
    private int waiting;
    private long waitingBytes;
    private final List<Long> victims = new ArrayList<>();
    private long movedBlocks;
    private int rewrittenNodes;
    private final List<String> skipped = new ArrayList<>();
    private final List<Relocation> batch = new ArrayList<>();
    private final Set<Long> batchKeys = new LinkedHashSet<>();
    private int batchBlocks;
    private final List<String> tableDifferences;

    GcPass(GarbageCollector gc, SpaceAccounting.Liveness live, boolean fromTable, VictimSource victimSource,
            boolean dryRun, Consumer<String> progress, List<String> tableDifferences) {
        this.store = gc.store();
        this.prefix = gc.prefix();
        this.volume = gc.volume();
        this.config = gc.config();
        this.clock = gc.clock();
        this.pacer = gc.pacer();
        this.fromTable = fromTable;
        this.victimSource = victimSource;
        this.tableDifferences = tableDifferences;
        this.live = live;
        this.report = live.report();
        this.dryRun = dryRun;
        this.progress = progress;
        this.blockSize = live.descriptor().blockSizeBytes();
        this.reader = new SegmentReader(store, prefix, blockSize, live.descriptor().encoding());
    }

    CompletableFuture<GcPassReport> run() {
        progress.accept((fromTable ? "planned from the live table: " : "walked ") + report.segmentCount() + " segments: " + report.storedBytes() + " bytes stored, "
                + report.liveBytes() + " live");
        if (live.storeError() != null) {
            // The store failed, not the volume: fail the pass (nothing changed), the next one tries again.
            return CompletableFuture.failedFuture(live.storeError());
        }
        if (!report.isComplete()) {
            skipped.add("nothing deleted or moved: the walk found " + report.problems().size()
                    + " problems (run hyperfile fsck): " + report.problems().get(0));
            return CompletableFuture.completedFuture(result());
        }
        return delete().thenCompose(v -> compact()).thenApply(v -> result());
    }

    private GcPassReport result() {
        return new GcPassReport(report, live.newestSeq(), live.graceSeq(), dryRun, deleted, deletedBytes, waiting,
                waitingBytes, victims, movedBlocks, movedBlocks * blockSize, rewrittenNodes,
                skipped.isEmpty() ? null : String.join("; ", skipped), fromTable, tableDifferences != null,
                tableDifferences == null ? List.of() : tableDifferences);
    }

    // ------------------------------------------------------------ deletion

    private CompletableFuture<Void> delete() {
        List<String> keys = new ArrayList<>();
        long bytes = 0;
        // Nothing above the newest checkpoint's floor: an open may need those segments to find it complete
        // (docs/FORMAT.md, "Finding the newest checkpoint"), and segments still on their way point into them.
        SegmentFooter newest = live.footers().get(live.newestSeq());
        long floor = newest == null ? 0 : newest.floor();
        for (SpaceReport.SegmentSpace s : report.segments()) {
            if (s.isLive() || s.liveBytes() > 0) {
                continue; // reached by the newest checkpoint, or (planned from the table) by a snapshot
            }
            if (s.seq() < live.graceSeq() && s.seq() <= floor && !live.held().contains(s.seq())) {
                deleted.add(s.seq());
                keys.add(SegmentKeys.segment(prefix, s.seq()));
                bytes += s.storedBytes();
            } else {
                waiting++;
                waitingBytes += s.storedBytes();
            }
        }
        deletedBytes = bytes;
        if (keys.isEmpty() || dryRun) {
            return CompletableFuture.completedFuture(null);
        }
        return stillOwner().thenCompose(refusal -> {
            if (refusal != null) {
                skipped.add("nothing deleted: " + refusal);
                deleted.clear();
                deletedBytes = 0;
                return CompletableFuture.completedFuture(null);
            }
            List<List<String>> batches = new ArrayList<>();
            for (int i = 0; i < keys.size(); i += DELETE_BATCH) {
                batches.add(keys.subList(i, Math.min(keys.size(), i + DELETE_BATCH)));
            }
            return sequentially(batches, b -> pacer.pace(0, 1).thenCompose(v -> store.deleteAll(b)).thenRun(() -> progress.accept("deleted " + b.size()
                    + " unreferenced segments")));
        });
    }

    /**
     * Null while this writer may delete; otherwise why not (docs/GC.md, deletion rule 6). The listing comes before the
     * writer's next seq is read: a segment this writer uploads meanwhile has a seq below it then, so only another
     * writer's segment can be at or above it.
     */
    private CompletableFuture<String> stillOwner() {
        if (volume.health() != HealthState.OPEN) {
            return CompletableFuture.completedFuture("volume " + volume.name() + " is " + volume.health());
        }
        return store.listAll(SegmentKeys.segmentPrefix(prefix), SegmentKeys.segment(prefix, live.newestSeq()))
                .thenCompose(after -> volume.nextSeq().thenApply(next -> {
                    long newest = live.newestSeq();
                    for (ObjectInfo o : after) {
                        newest = Math.max(newest, SegmentKeys.parseSegment(prefix, o.key()));
                    }
                    if (newest >= next) {
                        return "segment " + newest + " was written by another writer (this one has written up to "
                                + (next - 1) + "): the volume has been taken over";
                    }
                    return volume.health() == HealthState.OPEN ? null : "volume " + volume.name() + " is " + volume.health();
                }));
    }

    // ------------------------------------------------------------ compaction

    private CompletableFuture<Void> compact() {
        long stored = Math.max(1, report.storedBytes());
        double garbage = (double) report.garbageBytes() / stored;
        if (config.compactBelow() <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        if (garbage < config.minGarbageRatio()) {
            skipped.add(String.format("no compaction: garbage is %.1f%% of stored bytes, below %.1f%%", garbage * 100,
                    config.minGarbageRatio() * 100));
            return CompletableFuture.completedFuture(null);
        }
        Instant now = clock.instant();
        List<SpaceReport.SegmentSpace> candidates = new ArrayList<>();
        for (SpaceReport.SegmentSpace s : report.segments()) {
            if (s.isLive() && !s.checkpoint() && s.seq() < live.newestSeq() && !live.held().contains(s.seq())
                    && victimSource.canMove(s.seq()) && s.liveBytes() < config.compactBelow() * s.storedBytes()) {
                candidates.add(s);
            }
        }
        candidates.sort(Comparator.comparingDouble((SpaceReport.SegmentSpace s) -> -benefit(s, now)));
        long budget = config.maxRelocateBytes();
        long garbageLeft = report.garbageBytes();
        List<Long> chosen = new ArrayList<>();
        for (SpaceReport.SegmentSpace s : candidates) {
            if (!chosen.isEmpty() && (s.liveDataBytes() > budget || garbageLeft < config.minGarbageRatio() / 2 * stored)) {
                break; // over budget, or enough garbage will be gone: moving more costs more than it frees
            }
            chosen.add(s.seq());
            budget -= s.liveDataBytes();
            garbageLeft -= s.storedBytes() - s.liveBytes();
        }
        if (chosen.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        victims.addAll(chosen);
        if (dryRun && !fromTable) {
            for (long seq : chosen) {
                BitSet slots = live.liveSlots().get(seq);
                movedBlocks += slots == null ? 0 : slots.cardinality();
                rewrittenNodes += live.nodeKeys().getOrDefault(seq, List.of()).size();
            }
            return CompletableFuture.completedFuture(null);
        }
        if (dryRun) {
            return CompletableFuture.completedFuture(null);
        }
        return sequentially(chosen, this::moveOutOf).thenCompose(v -> submit()).thenCompose(v -> volume.flush())
                .thenRun(() -> progress.accept("compacted " + chosen.size() + " segments: moved " + movedBlocks
                        + " blocks and " + rewrittenNodes + " index paths"));
    }

    /** Cost-benefit (log-structured file systems): free space gained times age, over the cost of moving. */
    private double benefit(SpaceReport.SegmentSpace s, Instant now) {
        double u = (double) s.liveBytes() / Math.max(1, s.storedBytes());
        Instant at = live.stored().get(s.seq());
        double age = at == null ? 1 : Math.max(1, Duration.between(at, now).toSeconds());
        return (1 - u) * age / (1 + u);
    }

    /** Queues the live blocks and index nodes of {@code seq} for moving. */
    private CompletableFuture<Void> moveOutOf(long seq) {
        return victimSource.victim(seq).thenCompose(victim -> {
            BitSet slots = victim.slots();
            List<long[]> runs = new ArrayList<>(); // {startBlock, slot, count}
            for (ExtentRecord rec : victim.records()) {
                if (rec.kind() != ExtentKind.DATA) {
                    continue;
                }
                long i = 0;
                while (i < rec.blockCount()) {
                    int from = slots.nextSetBit((int) (rec.dataBlockOffset() + i));
                    if (from < 0 || from >= rec.dataBlockOffset() + rec.blockCount()) {
                        break;
                    }
                    int to = Math.min(slots.nextClearBit(from), (int) (rec.dataBlockOffset() + rec.blockCount()));
                    for (int at = from; at < to; at += MAX_READ_BLOCKS) {
                        int n = Math.min(MAX_READ_BLOCKS, to - at);
                        runs.add(new long[] {rec.startBlock() + (at - rec.dataBlockOffset()), at, n});
                    }
                    i = to - rec.dataBlockOffset();
                }
            }
            return sequentially(runs, run -> read(seq, run)).thenCompose(v -> {
                batchKeys.addAll(victim.nodeKeys());
                rewrittenNodes += victim.nodeKeys().size();
                return batchKeys.size() >= 1024 ? submit() : CompletableFuture.completedFuture(null);
            });
        });
    }

    private CompletableFuture<Void> read(long seq, long[] run) {
        int count = (int) run[2];
        CompletableFuture<Void> room = batchBlocks + count > volume.maxRelocationBlocks() ? submit()
                : CompletableFuture.completedFuture(null);
        return room.thenCompose(v -> pacer.pace((long) count * (blockSize + 4), 1))
                .thenCompose(v -> reader.readVerified(seq, run[1], count)).thenAccept(blocks -> {
                    ByteBuffer copy = ByteBuffer.allocate(count * blockSize);
                    blocks.copyTo(0, copy, 0, count * blockSize);
                    batch.add(new Relocation(run[0], count, Location.data(seq, run[1]), copy));
                    batchBlocks += count;
                    movedBlocks += count;
                });
    }

    /** Hands the collected moves to the volume as one window, once client writes leave room for it. */
    private CompletableFuture<Void> submit() {
        if (batch.isEmpty() && batchKeys.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return yieldToClients(scheduler().nanoTime() + MAX_YIELD_NANOS, true).thenCompose(v -> relocate());
    }

    /**
     * Completes when the volume's write buffer is at most half full (client writes come first), or at
     * {@code deadline} at the latest, so that compaction still moves on under a write load that never lets up.
     */
    private CompletableFuture<Void> yieldToClients(long deadline, boolean first) {
        double load = volume.writeBufferLoad();
        // A volume that stopped (crashed, closed, fenced) never drains: the move fails at once instead of waiting.
        if (load <= 0.5 || volume.health() != HealthState.OPEN || scheduler().nanoTime() >= deadline) {
            return CompletableFuture.completedFuture(null);
        }
        if (first) {
            progress.accept(String.format("compaction waits for client writes: the write buffer is %.0f%% full", load * 100));
        }
        return pacer.after(YIELD_CHECK_NANOS).thenCompose(v -> yieldToClients(deadline, false));
    }

    private RetryScheduler scheduler() {
        return pacer.scheduler();
    }

    private CompletableFuture<Void> relocate() {
        batch.sort(Comparator.comparingLong(Relocation::startBlock));
        RelocationBatch b = new RelocationBatch(batch, batchKeys.stream().mapToLong(Long::longValue).toArray(),
                Set.copyOf(victims));
        batch.clear();
        batchKeys.clear();
        batchBlocks = 0;
        return volume.relocate(b);
    }

    private static <T> CompletableFuture<Void> sequentially(List<T> items, Function<T, CompletableFuture<Void>> step) {
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (T item : items) {
            chain = chain.thenCompose(v -> step.apply(item));
        }
        return chain;
    }
}
