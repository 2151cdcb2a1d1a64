package io.hyperfile.core.volume;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.checkpoint.CheckpointLocator;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.index.NodeLimits;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.ObjectStore;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creating and opening volumes.
 *
 * <p>Opening for writing reads the descriptor, finds the newest complete checkpoint ({@link CheckpointLocator}:
 * segments above it are orphans of a writer that stopped with uploads in flight) and opens the index at its root,
 * then <em>claims the log</em>: it writes the segment after the highest one stored (above every orphan) at once,
 * empty (same index root, no data), with a conditional create. From then on a segment PUT of an earlier writer that was still in flight (a server killed
 * while uploading, whose request lands later) can no longer extend the log: its seq is taken, so it is the one that
 * is refused, and this writer does not fence itself at its first flush. If the claim finds its seq taken by another
 * writer's segment, that writer (or its late PUT) got there first: the open starts over from the new newest segment,
 * a few times.
 *
 * <p>A newest segment that is missing, too short or fails its checksums while a store may still be writing it
 * (S3-compatible servers without atomic PUTs show partial objects) is read again with backoff for up to
 * {@code open.retry}; after that the open fails with a message that names the object and says what is wrong.
 */
final class VolumeOpener {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeOpener.class);
    /** How often an open starts over when its claim finds another writer's segment. */
    static final int MAX_CLAIM_ATTEMPTS = 4;

    private VolumeOpener() {
    }

    /**
     * A segment to open at: {@code seq} 0 (with no footer) is the empty volume. {@code highest}: the highest seq
     * stored (above {@code seq} when orphans of an earlier writer are there), which a writer's claim goes above.
     */
    private record Checkpoint(long seq, SegmentFooter footer, long highest) {
        Checkpoint above(long highestStored) {
            return new Checkpoint(seq, footer, Math.max(seq, highestStored));
        }
    }

    static CompletableFuture<VolumeDescriptor> create(ObjectStore store, String prefix, VolumeOptions options, Clock clock) {
        String p = SegmentKeys.normalizePrefix(prefix);
        VolumeDescriptor d = new VolumeDescriptor(VolumeDescriptor.versionFor(null, options.encoding()),
                options.blockSizeBytes(), options.sizeBytes(), options.segmentTargetBytes(), options.maxNodeBytes(),
                UUID.randomUUID(), clock.millis(), null, options.encoding());
        NodeLimits.ofNodeBytes(options.maxNodeBytes());
        return store.create(SegmentKeys.descriptor(p), d.encode()).thenApply(v -> d);
    }

    static CompletableFuture<Volume> openForWriting(ObjectStore store, String prefix, String name, VolumeConfig config) {
        return openForWriting(store, SegmentKeys.normalizePrefix(prefix), name, config, 1);
    }

    private static CompletableFuture<Volume> openForWriting(ObjectStore store, String p, String name, VolumeConfig config,
            int attempt) {
        return described(store, p)
                .thenCompose(d -> newestCheckpoint(d, p, config, config.scheduler().nanoTime(), 1)
                        .thenCompose(cp -> build(d, p, name, config, cp, false)))
                .thenCompose(v -> v.claimLog().handle((x, e) -> {
                    if (e == null) {
                        return CompletableFuture.completedFuture(v);
                    }
                    v.abort();
                    Throwable cause = Exceptions.unwrap(e);
                    if (cause instanceof VolumeFencedException && attempt < MAX_CLAIM_ATTEMPTS) {
                        LOG.info("volume {}: another writer's segment appeared while opening; opening again ({})", name,
                                cause.getMessage());
                        return openForWriting(store, p, name, config, attempt + 1);
                    }
                    if (cause instanceof VolumeFencedException) {
                        return CompletableFuture.<Volume>failedFuture(new VolumeFencedException("volume " + name
                                + " could not be claimed for writing: another writer keeps committing segments (tried "
                                + attempt + " times)", cause));
                    }
                    return CompletableFuture.<Volume>failedFuture(cause);
                }).thenCompose(f -> f));
    }

    static CompletableFuture<Volume> openReadOnlyAt(ObjectStore store, String prefix, String name, VolumeConfig config, long seq) {
        String p = SegmentKeys.normalizePrefix(prefix);
        return described(store, p).thenCompose(d -> checkpoint(d, p, seq)
                .thenCompose(cp -> build(d, p, name, config, cp, true)));
    }

    /** A volume's descriptor, its lineage, and the store as it sees it (through the lineage, for a clone). */
    record Described(VolumeDescriptor desc, Lineage lineage, ObjectStore store) {
    }

    static CompletableFuture<Described> described(ObjectStore store, String p) {
        String descriptorKey = SegmentKeys.descriptor(p);
        return store.get(descriptorKey, ByteRange.all()).thenApply(d -> VolumeDescriptor.decode(descriptorKey, d.data()))
                .thenCompose(desc -> Lineage.resolve(store, p, desc)
                        .thenApply(l -> new Described(desc, l, l.view(store))));
    }

    /**
     * The newest checkpoint's seq: the newest complete checkpoint among the own segments (see
     * {@link CheckpointLocator}), or, for a clone without one yet, its base seq (the parent's checkpoint it starts
     * from).
     */
    static CompletableFuture<Long> newestSeq(ObjectStore store, String p, Lineage lineage) {
        return located(store, p, lineage).thenApply(CheckpointLocator.Located::checkpoint);
    }

    private static CompletableFuture<CheckpointLocator.Located> located(ObjectStore store, String p, Lineage lineage) {
        return CheckpointLocator.locate(store, p).thenApply(l -> new CheckpointLocator.Located(
                Math.max(l.checkpoint(), lineage.baseSeq()), Math.max(l.highest(), lineage.baseSeq())));
    }

    /**
     * The newest complete checkpoint and its footer. If the newest segments cannot be read whole (missing after
     * listing, short, bad checksum), one may still be being written: list and read again with backoff until
     * {@code open.retry} has passed.
     */
    private static CompletableFuture<Checkpoint> newestCheckpoint(Described d, String p, VolumeConfig config, long startNanos,
            int attempt) {
        CompletableFuture<CheckpointLocator.Located> where = located(d.store(), p, d.lineage());
        return where.handle((l, e) -> l == null ? 0L : l.checkpoint()).thenCompose(seq -> where
                .thenCompose(l -> checkpoint(d, p, l.checkpoint()).thenApply(cp -> cp.above(l.highest())))
                .handle((cp, e) -> {
                    if (e == null) {
                        return CompletableFuture.completedFuture(cp);
                    }
                    Throwable cause = Exceptions.unwrap(e);
                    if (!(cause instanceof CorruptionException) && !(cause instanceof ObjectNotFoundException)) {
                        return CompletableFuture.<Checkpoint>failedFuture(cause);
                    }
                    long elapsed = config.scheduler().nanoTime() - startNanos;
                    String key = cause instanceof CorruptionException c && c.key() != null ? c.key()
                            : cause instanceof ObjectNotFoundException nf && nf.key() != null ? nf.key()
                            : SegmentKeys.segment(p, seq);
                    if (elapsed >= config.openRetry().toNanos()) {
                        return CompletableFuture.<Checkpoint>failedFuture(new CorruptionException(key, 0,
                                "the newest segment cannot be read (" + cause.getMessage() + "); a store may still have"
                                + " been writing it, but it stayed so through " + attempt + " reads over "
                                + elapsed / 1_000_000 + " ms; check it with 'hyperfile fsck'", cause));
                    }
                    long delay = Math.min(5_000_000_000L, 250_000_000L << Math.min(attempt - 1, 5));
                    LOG.warn("{}: newest segment {} not readable yet ({}); reading again in {} ms", p, key,
                            cause.getMessage(), delay / 1_000_000);
                    CompletableFuture<Checkpoint> again = new CompletableFuture<>();
                    config.scheduler().schedule(() -> newestCheckpoint(d, p, config, startNanos, attempt + 1)
                            .whenComplete((c, f) -> {
                                if (f != null) {
                                    again.completeExceptionally(Exceptions.unwrap(f));
                                } else {
                                    again.complete(c);
                                }
                            }), delay);
                    return again;
                }).thenCompose(f -> f));
    }

    /** Segment {@code seq}'s footer, checked against the descriptor ({@code seq} 0: the empty volume). */
    private static CompletableFuture<Checkpoint> checkpoint(Described d, String p, long seq) {
        if (seq == 0) {
            return CompletableFuture.completedFuture(new Checkpoint(0, null, 0));
        }
        VolumeDescriptor desc = d.desc();
        SegmentReader reader = new SegmentReader(d.store(), p, desc.blockSizeBytes());
        return reader.header(seq).thenCombine(reader.footer(seq), (h, f) -> {
            Lineage.Level owner = d.lineage().owner(seq);
            String key = SegmentKeys.segment(owner.prefix(), seq);
            if (!h.volumeId().equals(owner.volumeId()) || h.blockSizeBytes() != desc.blockSizeBytes() || h.seq() != seq) {
                throw new CorruptionException(key, 0, "segment belongs to volume " + h.volumeId() + " seq " + h.seq()
                        + ", expected volume " + owner.volumeId() + " seq " + seq);
            }
            return new Checkpoint(seq, f, seq);
        });
    }

    private static CompletableFuture<Volume> build(Described d, String p, String name, VolumeConfig config, Checkpoint cp,
            boolean snapshotView) {
        ObjectStore store = d.store();
        VolumeDescriptor desc = d.desc();
        ScheduledThreadPoolExecutor executor = newExecutor(name);
        UnsettledSegments view = new UnsettledSegments(store);
        VolumeIndex vi = new VolumeIndex(view, p, NodeLimits.ofNodeBytes(desc.maxNodeBytes()), config.nodeCacheBytes(), executor);
        SegmentFooter f = cp.footer();
        CompletableFuture<Volume> opened;
        if (f == null) {
            opened = CompletableFuture.completedFuture(new Volume(name, p, store, view, desc, config, executor, vi,
                    vi.empty(), desc.sizeBytes(), 0, cp.highest(), snapshotView, d.lineage()));
        } else {
            opened = vi.open(f.rootSeq() == 0 ? null : new NodePointer(f.rootSeq(), f.rootOffset(), f.rootLength()),
                    f.height()).thenApply(idx -> new Volume(name, p, store, view, desc, config, executor, vi, idx,
                    f.volumeSizeBytes(), cp.seq(), cp.highest(), snapshotView, d.lineage()));
        }
        return opened.whenComplete((v, e) -> {
            if (e != null) {
                executor.shutdown();
            }
        });
    }

    private static ScheduledThreadPoolExecutor newExecutor(String name) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "hf-volume-" + name);
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return executor;
    }
}
