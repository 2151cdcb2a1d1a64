package io.hyperfile.core.gc;

import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.index.Location;
import io.hyperfile.core.index.NodeCodec;
import io.hyperfile.core.index.NodeLimits;
import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.segment.ExtentRecord;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.volume.HealthState;
import io.hyperfile.core.volume.LivenessLog;
import io.hyperfile.core.volume.Relocation;
import io.hyperfile.core.volume.RelocationBatch;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.WindowLiveness;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Garbage collection of one writable volume (docs/GC.md): a pass walks the retained checkpoints, deletes the
 * segments no checkpoint needs any more, and compacts mostly-dead segments by moving their live blocks and index
 * nodes into new segments through the volume's write path ({@link Volume#relocate}), after which the next pass
 * deletes them.
 *
 * <p>Safety rests on three rules. Deletion: a segment is deleted only if neither the retained checkpoints nor the
 * grace checkpoint (the newest segment stored at least {@link GcConfig#grace} ago) reach it, it is older than the
 * grace checkpoint, the walk met no problem, the volume is healthy, and no segment of another writer exists after
 * this writer's. Moves: each moved block changes the index only if it still maps to where it was read from, so a
 * client write always wins. Crashes: a pass changes nothing but through durable segments and deletes of objects
 * nothing references, so any crash leaves a volume that opens at its last flushed state.
 *
 * <p>Thread-safety: one pass at a time ({@link #runPass} refuses a second); a pass is a chain of futures.
 */
public final class GarbageCollector {
    private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);
    /** Keys per delete request (S3 DeleteObjects takes at most 1,000). */
    static final int DELETE_BATCH = 1000;
    /** Blocks per GET when reading what a pass moves. */
    static final int MAX_READ_BLOCKS = 256;

    private final ObjectStore store;
    private final String prefix;
    private final Volume volume;
    private final GcConfig config;
    private final Clock clock;
    private final RetryScheduler scheduler;
    private final AtomicBoolean running = new AtomicBoolean();
    private final LivenessLog liveness;
    private long nextFreeNanos = Long.MIN_VALUE;
    private long nextRequestNanos = Long.MIN_VALUE;
    /** The live table checked at the next pass; null until a complete walk started one. Used by one pass at a time. */
    private LiveTable table;
    /** The last pass, if it left nothing to do while the volume does not change (and the snapshots it saw). */
    private GcPassReport settled;
    private List<String> settledSnapshots;

    public GarbageCollector(ObjectStore store, String prefix, Volume volume, GcConfig config, Clock clock,
            RetryScheduler scheduler) {
        this.store = Objects.requireNonNull(store, "store");
        this.prefix = SegmentKeys.normalizePrefix(prefix);
        this.volume = Objects.requireNonNull(volume, "volume");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.liveness = volume.liveness();
    }

    public GcConfig config() {
        return config;
    }

    /**
     * Runs one pass: flush, walk, delete, compact, flush. A dry run walks and plans but writes and deletes nothing.
     * {@code progress} gets one line per step.
     */
    public CompletableFuture<GcPassReport> runPass(boolean dryRun, Consumer<String> progress) {
        if (!running.compareAndSet(false, true)) {
            return CompletableFuture.failedFuture(new IllegalStateException("a garbage collection pass of volume "
                    + volume.name() + " is already running"));
        }
        CompletableFuture<GcPassReport> pass;
        GcPassReport last = dryRun ? null : settled;
        settled = null;
        try {
            Instant graceBefore = clock.instant().minus(config.grace());
            pass = (dryRun ? CompletableFuture.<Void>completedFuture(null) : volume.flush())
                    .thenCompose(v -> last == null ? CompletableFuture.completedFuture(null) : snapshotsIfUnchanged(last))
                    .thenCompose(snapshots -> {
                        if (snapshots != null) {
                            progress.accept("nothing changed since the last pass");
                            settled = last;
                            return CompletableFuture.completedFuture(idle(last));
                        }
                        return SpaceAccounting.walk(store, prefix, graceBefore, n -> pace(0, n))
                                .thenCompose(l -> checkTable(l).thenCompose(diffs -> new Pass(l, dryRun, progress, diffs).run()))
                                .thenCompose(r -> dryRun || !leftNothing(r) ? CompletableFuture.completedFuture(r)
                                        : Snapshots.names(store, prefix).thenApply(names -> {
                                            settled = r;
                                            settledSnapshots = names;
                                            return r;
                                        }));
                    });
        } catch (RuntimeException e) {
            pass = CompletableFuture.failedFuture(e);
        }
        return pass.whenComplete((r, e) -> running.set(false));
    }

    /**
     * Whether a pass that ended with {@code r} found nothing to do and left nothing a later pass could do unless the
     * volume changes: it deleted and moved nothing, no segment waits for the grace period, nothing was refused or
     * skipped but compaction below its threshold. (A pass that did work is followed by one more walk.)
     */
    private static boolean leftNothing(GcPassReport r) {
        return r.deletedSegments().isEmpty() && r.victims().isEmpty() && r.waitingSegments() == 0
                && (r.skipped() == null || r.skipped().startsWith("no compaction"));
    }

    /**
     * The snapshot names if nothing changed since {@code last} settled the volume (no window indexed since its walk,
     * the volume healthy, the same snapshots); null otherwise. Costs one listing of the snapshot records.
     */
    private CompletableFuture<List<String>> snapshotsIfUnchanged(GcPassReport last) {
        if (!liveness.after(last.newestSeq()).isEmpty() || volume.health() != HealthState.OPEN) {
            return CompletableFuture.completedFuture(null);
        }
        return Snapshots.names(store, prefix).thenApply(names -> names.equals(settledSnapshots) ? names : null);
    }

    private static GcPassReport idle(GcPassReport last) {
        return new GcPassReport(last.before(), last.newestSeq(), last.graceSeq(), false, List.of(), 0, 0, 0, List.of(), 0,
                0, 0, "nothing changed since the last pass (no new segments, no snapshot deleted): nothing walked",
                false, List.of());
    }

    /**
     * Brings the live table up to the walk's checkpoint (the windows since the last walk, then the subtrees they
     * dropped) and compares it with the walk; then starts the next table from the walk. Null when there was nothing
     * to compare (the first pass, an incomplete walk, or windows missing from the log).
     */
    private CompletableFuture<List<String>> checkTable(SpaceAccounting.Liveness walk) {
        LiveTable previous = table;
        boolean usable = walk.storeError() == null && walk.report().isComplete();
        table = usable ? LiveTable.of(walk) : null;
        List<WindowLiveness> windows = liveness.after(previous == null ? Long.MAX_VALUE : previous.seq());
        liveness.discardThrough(walk.newestSeq());
        if (previous == null || !usable) {
            return CompletableFuture.completedFuture(null);
        }
        for (WindowLiveness w : windows) {
            if (w.seq() <= walk.newestSeq()) {
                previous.fold(w);
            }
        }
        if (previous.seq() != walk.newestSeq()) {
            return CompletableFuture.completedFuture(null);
        }
        NodeCodec codec = new NodeCodec(NodeLimits.ofNodeBytes(walk.descriptor().maxNodeBytes()));
        return previous.settle(store, prefix, codec).thenApply(v -> {
            List<String> diffs = previous.differences(walk);
            if (!diffs.isEmpty()) {
                LOG.warn("volume {}: the live table disagrees with the walk of checkpoint {} in {} segments, first: {}",
                        volume.name(), walk.newestSeq(), diffs.size(), diffs.get(0));
            }
            return diffs;
        });
    }

    /** One pass's state: confined to its chain of futures. */
    private final class Pass {
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

        Pass(SpaceAccounting.Liveness live, boolean dryRun, Consumer<String> progress, List<String> tableDifferences) {
            this.tableDifferences = tableDifferences;
            this.live = live;
            this.report = live.report();
            this.dryRun = dryRun;
            this.progress = progress;
            this.blockSize = live.descriptor().blockSizeBytes();
            this.reader = new SegmentReader(store, prefix, blockSize);
        }

        CompletableFuture<GcPassReport> run() {
            progress.accept("walked " + report.segmentCount() + " segments: " + report.storedBytes() + " bytes stored, "
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
                    skipped.isEmpty() ? null : String.join("; ", skipped), tableDifferences != null,
                    tableDifferences == null ? List.of() : tableDifferences);
        }

        // ------------------------------------------------------------ deletion

        private CompletableFuture<Void> delete() {
            List<String> keys = new ArrayList<>();
            long bytes = 0;
            for (SpaceReport.SegmentSpace s : report.segments()) {
                if (s.isLive()) {
                    continue;
                }
                if (s.seq() < live.graceSeq() && !live.held().contains(s.seq())) {
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
                return sequentially(batches, b -> pace(0, 1).thenCompose(v -> store.deleteAll(b)).thenRun(() -> progress.accept("deleted " + b.size()
                        + " unreferenced segments")));
            });
        }

        /** Null while this writer may delete; otherwise why not (docs/GC.md, deletion rule 5). */
        private CompletableFuture<String> stillOwner() {
            if (volume.health() != HealthState.OPEN) {
                return CompletableFuture.completedFuture("volume " + volume.name() + " is " + volume.health());
            }
            return volume.nextSeq().thenCompose(next -> live.newestSeq() >= next
                    ? CompletableFuture.completedFuture("segment " + live.newestSeq() + " was written by another writer"
                            + " (this one has written up to " + (next - 1) + "): the volume has been taken over")
                    : store.listAll(SegmentKeys.segmentPrefix(prefix),
                    SegmentKeys.segment(prefix, live.newestSeq())).thenApply(after -> {
                        for (ObjectInfo o : after) {
                            long seq = SegmentKeys.parseSegment(prefix, o.key());
                            if (seq >= next) {
                                return "segment " + seq + " was written by another writer (this one has written up to "
                                        + (next - 1) + "): the volume has been taken over";
                            }
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
                        && live.footers().containsKey(s.seq()) && s.liveBytes() < config.compactBelow() * s.storedBytes()) {
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
            if (dryRun) {
                for (long seq : chosen) {
                    BitSet slots = live.liveSlots().get(seq);
                    movedBlocks += slots == null ? 0 : slots.cardinality();
                    rewrittenNodes += live.nodeKeys().getOrDefault(seq, List.of()).size();
                }
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
            SegmentFooter footer = live.footers().get(seq);
            BitSet slots = live.liveSlots().getOrDefault(seq, new BitSet());
            List<Long> keys = live.nodeKeys().getOrDefault(seq, List.of());
            return reader.extentTable(seq, footer).thenCompose(records -> {
                List<long[]> runs = new ArrayList<>(); // {startBlock, slot, count}
                for (ExtentRecord rec : records) {
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
                return sequentially(runs, run -> read(seq, run));
            }).thenCompose(v -> {
                batchKeys.addAll(keys);
                rewrittenNodes += keys.size();
                return batchKeys.size() >= 1024 ? submit() : CompletableFuture.completedFuture(null);
            });
        }

        private CompletableFuture<Void> read(long seq, long[] run) {
            int count = (int) run[2];
            CompletableFuture<Void> room = batchBlocks + count > volume.maxRelocationBlocks() ? submit()
                    : CompletableFuture.completedFuture(null);
            return room.thenCompose(v -> pace((long) count * (blockSize + 4), 1))
                    .thenCompose(v -> reader.readVerified(seq, run[1], count)).thenAccept(blocks -> {
                        ByteBuffer copy = ByteBuffer.allocate(count * blockSize);
                        blocks.copyTo(0, copy, 0, count * blockSize);
                        batch.add(new Relocation(run[0], count, Location.data(seq, run[1]), copy));
                        batchBlocks += count;
                        movedBlocks += count;
                    });
        }

        /** Hands the collected moves to the volume as one window. */
        private CompletableFuture<Void> submit() {
            if (batch.isEmpty() && batchKeys.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            batch.sort(Comparator.comparingLong(Relocation::startBlock));
            RelocationBatch b = new RelocationBatch(batch, batchKeys.stream().mapToLong(Long::longValue).toArray());
            batch.clear();
            batchKeys.clear();
            batchBlocks = 0;
            return volume.relocate(b);
        }
    }

    /**
     * Waits so that what a pass reads to move stays within {@link GcConfig#rateBytesPerSecond} and its store requests
     * (walk, moves, deletes) within {@link GcConfig#rateRequestsPerSecond}.
     */
    private synchronized CompletableFuture<Void> pace(long bytes, int requests) {
        long now = scheduler.nanoTime();
        long start = now;
        if (config.rateBytesPerSecond() > 0 && bytes > 0) {
            start = Math.max(start, nextFreeNanos);
            nextFreeNanos = Math.max(now, nextFreeNanos) + (long) (bytes * 1e9 / config.rateBytesPerSecond());
        }
        if (config.rateRequestsPerSecond() > 0 && requests > 0) {
            start = Math.max(start, nextRequestNanos);
            nextRequestNanos = Math.max(now, nextRequestNanos) + (long) (requests * 1e9 / config.rateRequestsPerSecond());
        }
        if (start <= now) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> wait = new CompletableFuture<>();
        scheduler.schedule(() -> wait.complete(null), start - now);
        return wait;
    }

    private static <T> CompletableFuture<Void> sequentially(List<T> items, Function<T, CompletableFuture<Void>> step) {
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (T item : items) {
            chain = chain.thenCompose(v -> step.apply(item));
        }
        return chain;
    }
}
