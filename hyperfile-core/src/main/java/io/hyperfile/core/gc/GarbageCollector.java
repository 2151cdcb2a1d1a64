package io.hyperfile.core.gc;

import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.index.NodeCodec;
import io.hyperfile.core.index.NodeLimits;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.volume.HealthState;
import io.hyperfile.core.volume.LivenessLog;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.WindowLiveness;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
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
    private final ObjectStore store;
    private final String prefix;
    private final Volume volume;
    private final GcConfig config;
    private final Clock clock;
    private final RetryScheduler scheduler;
    private final AtomicBoolean running = new AtomicBoolean();
    private final LivenessLog liveness;
    private final GcPacer pacer;
    private final NodeCodec codec;
    /** The live table at the last pass's checkpoint; null until a complete walk started one. One pass at a time. */
    private LiveTable table;
    /** The next pass walks and checks the table, due or not. */
    private volatile boolean checkRequested;
    /** Whether the first pass looked for a stored table already. */
    private boolean looked;
    /** The checkpoint of the last table stored (0: none). */
    private long storedSeq;
    /** The last pass, if it left nothing to do while the volume does not change (and the snapshots it saw). */
    private GcPassReport settled;
    private List<String> settledSnapshots;

    public GarbageCollector(ObjectStore store, String prefix, Volume volume, GcConfig config, Clock clock,
            RetryScheduler scheduler) {
        this.volume = Objects.requireNonNull(volume, "volume");
        // A clone's collector reads its parent's nodes through the lineage and can never delete them (docs/CLONES.md).
        this.store = volume.lineage().view(Objects.requireNonNull(store, "store"));
        this.prefix = SegmentKeys.normalizePrefix(prefix);
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.liveness = volume.liveness();
        this.pacer = new GcPacer(config, scheduler);
        this.codec = new NodeCodec(NodeLimits.ofNodeBytes(volume.descriptor().maxNodeBytes()));
    }

    public GcConfig config() {
        return config;
    }

    /**
     * Makes the next pass walk the index and check the live table against it (and start a new table from the walk),
     * whether or not {@link GcConfig#checkEvery} has passed.
     */
    public void requestCheck() {
        checkRequested = true;
    }

    ObjectStore store() {
        return store;
    }

    String prefix() {
        return prefix;
    }

    Volume volume() {
        return volume;
    }

    Clock clock() {
        return clock;
    }

    GcPacer pacer() {
        return pacer;
    }

    /**
     * Runs one pass: flush, plan (from the live table, or by a walk when there is no table yet, when the table does not
     * match the store, or when {@link GcConfig#checkEvery} has passed since a walk last checked it), delete, compact,
     * flush. A dry run walks and plans but writes and deletes nothing. {@code progress} gets one line per step.
     */
    public CompletableFuture<GcPassReport> runPass(boolean dryRun, Consumer<String> progress) {
        if (!running.compareAndSet(false, true)) {
            return CompletableFuture.failedFuture(new IllegalStateException("a garbage collection pass of volume "
                    + volume.name() + " is already running"));
        }
        CompletableFuture<GcPassReport> pass;
        GcPassReport last = dryRun || checkRequested ? null : settled; // a requested check always walks
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
                        return plan(dryRun, graceBefore, progress)
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
                last.fromTable(), false, List.of());
    }

    /**
     * Plans from the table if it is due no check and matches the store; otherwise walks (and checks the table, if
     * there is one). Then runs the pass and stores the table. The first pass of a writer starts from the stored
     * table, if there is one it can bring up to date.
     */
    private CompletableFuture<GcPassReport> plan(boolean dryRun, Instant graceBefore, Consumer<String> progress) {
        if (dryRun) {
            return walkPass(true, graceBefore, progress);
        }
        CompletableFuture<Void> loaded = looked || table != null ? CompletableFuture.completedFuture(null)
                : loadTable(progress);
        looked = true;
        return loaded.thenCompose(v -> planAndRun(graceBefore, progress)).thenCompose(this::keepTable);
    }

    /**
     * Starts the table from the newest stored one, brought to the checkpoint just before the first window this
     * collector heard of (or the durable checkpoint if it heard of none), so that the windows since count one by one;
     * leaves it null if it cannot.
     */
    private CompletableFuture<Void> loadTable(Consumer<String> progress) {
        List<WindowLiveness> heard = liveness.after(0);
        long beforeFirst = heard.isEmpty() ? Long.MAX_VALUE : heard.get(0).seq() - 1;
        return volume.durableSeq().thenCompose(durable -> {
            long at = Math.min(beforeFirst, durable);
            return LiveTableObject.loadAt(store, prefix, codec, volume.blockSizeBytes(), at, n -> pacer.pace(0, n))
                    .thenAccept(t -> {
                        if (t != null) {
                            liveness.discardThrough(at);
                            table = t;
                            progress.accept("loaded the stored live table, brought to checkpoint " + at);
                        }
                    });
        }).exceptionally(e -> {
                    LOG.info("volume {}: gc walks the index: the stored live table is unusable: {}", volume.name(),
                            Exceptions.unwrap(e).toString());
                    return null;
                });
    }

    /** Stores the table as of the pass's checkpoint (once per checkpoint); a failure only costs a walk later. */
    private CompletableFuture<GcPassReport> keepTable(GcPassReport r) {
        LiveTable t = table;
        if (t == null || t.seq() != r.newestSeq() || t.hasPending() || t.seq() == storedSeq
                || volume.health() != HealthState.OPEN) {
            return CompletableFuture.completedFuture(r);
        }
        return volume.nextSeq().thenCompose(next -> r.newestSeq() >= next
                ? CompletableFuture.completedFuture(null) // another writer's segment: this one writes nothing more
                : storeTable(t)).handle((v, e) -> {
                    if (e != null) {
                        LOG.warn("volume {}: cannot store the live table of checkpoint {}: {}", volume.name(), t.seq(),
                                Exceptions.unwrap(e).toString());
                    }
                    return r;
                });
    }

    private CompletableFuture<Void> storeTable(LiveTable t) {
        return new SegmentReader(store, prefix, volume.blockSizeBytes()).footer(t.seq()).thenCompose(f -> {
            NodePointer root = f.rootSeq() == 0 ? null : new NodePointer(f.rootSeq(), f.rootOffset(), f.rootLength());
            return LiveTableObject.store(store, prefix, t, root);
        }).thenRun(() -> storedSeq = t.seq());
    }

    private CompletableFuture<GcPassReport> planAndRun(Instant graceBefore, Consumer<String> progress) {
        boolean useTable = table != null && !checkRequested
                && table.checkedAt().plus(config.checkEvery()).isAfter(clock.instant());
        if (!useTable) {
            return walkPass(false, graceBefore, progress);
        }
        LiveTable t = table;
        return TablePlan.plan(store, prefix, volume.descriptor(), t, graceBefore, n -> pacer.pace(0, n),
                        this::advanceTable, codec, why -> {
                            LOG.info("volume {}: gc walks the index: {}", volume.name(), why);
                            table = null;
                        })
                .thenCompose(l -> {
                    if (l == null) {
                        return walkPass(false, graceBefore, progress);
                    }
                    VictimSource victims = VictimSource.ofIndex(volume, t, store, prefix,
                            new SegmentReader(store, prefix, volume.blockSizeBytes()), codec);
                    return new GcPass(this, l, true, victims, false, progress, null).run()
                            .thenApply(r -> {
                                t.forget(r.deletedSegments());
                                return r;
                            });
                });
    }

    private CompletableFuture<GcPassReport> walkPass(boolean dryRun, Instant graceBefore, Consumer<String> progress) {
        checkRequested = false;
        return SpaceAccounting.walk(store, prefix, graceBefore, n -> pacer.pace(0, n))
                .thenCompose(l -> checkTable(l).thenCompose(diffs -> {
                    VictimSource victims = VictimSource.ofWalk(l, new SegmentReader(store, prefix, volume.blockSizeBytes()));
                    return new GcPass(this, l, false, victims, dryRun, progress, diffs).run();
                }))
                .thenApply(r -> {
                    if (table != null) {
                        table.forget(r.deletedSegments());
                    }
                    return r;
                });
    }

    /**
     * Folds the windows up to checkpoint {@code newest} into the table (called with the newest listed segment, whose
     * window, like every earlier one, was indexed before the segment was stored).
     */
    private void advanceTable(long newest) {
        for (WindowLiveness w : liveness.after(table.seq())) {
            if (w.seq() <= newest) {
                table.fold(w);
            }
        }
        liveness.discardThrough(newest);
    }

    /**
     * Brings the live table up to the walk's checkpoint (the windows since the last walk, then the subtrees they
     * dropped) and compares it with the walk; then starts the next table from the walk. Null when there was nothing
     * to compare (the first pass, an incomplete walk, or windows missing from the log).
     */
    private CompletableFuture<List<String>> checkTable(SpaceAccounting.Liveness walk) {
        LiveTable previous = table;
        boolean usable = walk.storeError() == null && walk.report().isComplete();
        table = usable && !walk.report().segments().isEmpty() ? LiveTable.of(walk, clock.instant()) : null;
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
        return previous.settle(store, prefix, codec, volume.descriptor().borrowedUpTo()).thenApply(v -> {
            List<String> diffs = previous.differences(walk);
            if (!diffs.isEmpty()) {
                LOG.warn("volume {}: the live table disagrees with the walk of checkpoint {} in {} segments, first: {}",
                        volume.name(), walk.newestSeq(), diffs.size(), diffs.get(0));
            }
            return diffs;
        });
    }
}
