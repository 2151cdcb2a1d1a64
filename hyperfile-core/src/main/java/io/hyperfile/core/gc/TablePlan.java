package io.hyperfile.core.gc;

import io.hyperfile.core.checkpoint.CheckpointLocator;
import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.index.NodeCodec;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.LongConsumer;

/**
 * Plans a pass from the live table instead of walking the index (docs/GC.md, "Planning from the table"): one listing
 * of the volume, its snapshot records, and the footers of segments the table has not seen a footer of (each once).
 * Produces the same {@link SpaceAccounting.Liveness} a walk does, without slot bitmaps and node keys (a
 * {@link VictimSource#ofIndex} finds those per victim). Segments that only a snapshot reaches count as live in full.
 *
 * <p>Confined to its chain of futures.
 */
final class TablePlan {
    private TablePlan() {
    }

    /**
     * The plan, or null (with the reason given to {@code refusal}) when the table does not describe the listing: the
     * newest segment is not the table's checkpoint, a segment the table counts live is missing, or a segment is one
     * the table does not know. The caller walks instead.
     */
    static CompletableFuture<SpaceAccounting.Liveness> plan(ObjectStore store, String prefix, VolumeDescriptor desc,
            LiveTable table, Instant graceBefore, IntFunction<CompletableFuture<Void>> pacer, LongConsumer advance,
            NodeCodec codec, Consumer<String> refusal) {
        return store.listAll(prefix, null).thenCompose(all -> Snapshots.list(store, prefix).thenCompose(snapshots -> {
            Listing listing = new Listing(prefix, all, graceBefore);
            advance.accept(listing.newest);
            String why = listing.mismatch(table);
            if (why != null) {
                refusal.accept(why);
                return CompletableFuture.completedFuture(null);
            }
            table.retainListed(listing.sizes.keySet());
            // The grace checkpoint must be a complete one (docs/FORMAT.md); a lower one only holds more.
            CompletableFuture<Void> grace = listing.graceSeq == 0 ? CompletableFuture.completedFuture(null)
                    : CheckpointLocator.newestCompleteAmong(store, prefix, new TreeSet<>(listing.sizes.keySet()),
                            Math.min(listing.graceSeq, listing.newest)).thenAccept(g -> listing.graceSeq = g);
            return grace.thenCompose(x -> table.settle(store, prefix, codec, desc.borrowedUpTo()))
                    .thenCompose(v -> footers(store, prefix, desc, table, listing, snapshots, pacer));
        }));
    }

    /** Reads the footers the table lacks (and the newest one), then builds the plan. */
    private static CompletableFuture<SpaceAccounting.Liveness> footers(ObjectStore store, String prefix,
            VolumeDescriptor desc, LiveTable table, Listing listing, Map<String, Long> snapshots,
            IntFunction<CompletableFuture<Void>> pacer) {
        List<Long> unknown = new ArrayList<>();
        for (long s : listing.sizes.keySet()) {
            LiveTable.Entry e = table.entries().get(s);
            boolean needed = e.isLive() || s == listing.newest || snapshots.containsValue(s);
            if (needed && (e.extentTableLength < 0 || (desc.encoding().isEncoded() && e.slots < 0))) {
                unknown.add(s);
            }
        }
        if (!unknown.contains(listing.newest)) {
            unknown.add(listing.newest);
        }
        SegmentReader reader = new SegmentReader(store, prefix, desc.blockSizeBytes());
        Map<Long, SegmentFooter> footers = new HashMap<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        return SpaceAccounting.bounded(pacer, unknown, reader::footer, footers::put,
                (s, e) -> failure.compareAndSet(null, e)).thenApply(v -> {
            if (failure.get() != null) {
                throw new CompletionException(failure.get());
            }
            footers.forEach((s, f) -> {
                LiveTable.Entry e = table.entry(s);
                e.extentTableLength = f.extentTableLength();
                e.dataBytes = f.nodeOffset() - f.dataOffset();
                e.slots = f.dataBlockCount();
            });
            return build(desc, table, listing, new TreeSet<>(snapshots.values()), footers);
        });
    }

    private static SpaceAccounting.Liveness build(VolumeDescriptor desc, LiveTable table, Listing listing,
            TreeSet<Long> snapshots, Map<Long, SegmentFooter> footers) {
        long g = listing.graceSeq;
        Set<Long> held = new HashSet<>();
        List<SpaceReport.SegmentSpace> segments = new ArrayList<>();
        List<Long> unreferenced = new ArrayList<>();
        long live = listing.metadataBytes;
        for (Map.Entry<Long, Long> m : listing.sizes.entrySet()) {
            long s = m.getKey();
            long size = m.getValue();
            LiveTable.Entry e = table.entries().get(s);
            boolean checkpoint = s == listing.newest || snapshots.contains(s);
            Long snapshotAfter = snapshots.ceiling(s); // if any snapshot reaches s, the oldest one after it does
            boolean snapshotReaches = snapshotAfter != null && table.reaches(snapshotAfter, s);
            boolean graceReaches = g >= s && table.reaches(g, s);
            SpaceReport.SegmentSpace space;
            if (e.isLive() || checkpoint) {
                // Moving its data would copy, not free it, while a snapshot or the grace checkpoint reaches what the
                // newest checkpoint no longer does (or, for a snapshot, anything of it).
                if (snapshotReaches || (graceReaches && e.changedAt > g)) {
                    held.add(s);
                }
                space = new SpaceReport.SegmentSpace(s, size, e.blocks,
                        SpaceAccounting.liveDataBytes(desc, e.blocks, e.dataBytes, e.slots), e.nodeBytes,
                        SpaceAccounting.FIXED_OVERHEAD_BYTES + Math.max(0, e.extentTableLength), checkpoint);
            } else if (snapshotReaches) {
                held.add(s);
                space = new SpaceReport.SegmentSpace(s, size, 0, 0, 0, size, false); // a snapshot's: live in full
            } else {
                if (graceReaches) {
                    held.add(s);
                }
                space = new SpaceReport.SegmentSpace(s, size, 0, 0, 0, 0, false);
                unreferenced.add(s);
            }
            segments.add(space);
            live += space.liveBytes();
        }
        SegmentFooter newest = footers.get(listing.newest);
        TreeSet<Long> retained = new TreeSet<>(snapshots);
        retained.add(listing.newest);
        SpaceReport report = new SpaceReport(newest.volumeSizeBytes(), newest.mappedBlocks() * desc.blockSizeBytes(), live,
                listing.storedBytes, listing.objectCount, listing.sizes.size(), List.copyOf(retained), segments,
                unreferenced, listing.other, List.of());
        return new SpaceAccounting.Liveness(report, desc, listing.newest, g, new HashMap<>(), new HashMap<>(), held,
                footers, listing.times, null, Map.of(), Map.of());
    }

    /** One listing of the volume's objects, sorted into segments, metadata and other objects. */
    private static final class Listing {
        final TreeMap<Long, Long> sizes = new TreeMap<>();
        final Map<Long, Instant> times = new HashMap<>();
        final List<String> other = new ArrayList<>();
        long graceSeq;
        long newest;
        long storedBytes;
        long metadataBytes;
        final long objectCount;

        Listing(String prefix, List<ObjectInfo> all, Instant graceBefore) {
            objectCount = all.size();
            for (ObjectInfo o : all) {
                storedBytes += o.size();
                long seq = SegmentKeys.parseSegment(prefix, o.key());
                if (seq > 0) {
                    sizes.put(seq, o.size());
                    times.put(seq, o.lastModified());
                    if (o.lastModified() != null && !o.lastModified().isAfter(graceBefore)) {
                        graceSeq = Math.max(graceSeq, seq);
                    }
                } else if (SpaceAccounting.isMetadata(prefix, o.key())) {
                    metadataBytes += o.size();
                } else {
                    other.add(o.key());
                }
            }
            newest = sizes.isEmpty() ? 0 : sizes.lastKey();
        }

        /** Why the table does not describe this listing, or null. */
        String mismatch(LiveTable table) {
            if (newest != table.seq()) {
                return "the newest segment is " + newest + ", the live table's checkpoint " + table.seq();
            }
            for (Map.Entry<Long, LiveTable.Entry> e : table.entries().entrySet()) {
                if (e.getValue().isLive() && !sizes.containsKey(e.getKey())) {
                    return "segment " + e.getKey() + " is live in the table but missing from the store";
                }
            }
            for (long s : sizes.keySet()) {
                if (!table.entries().containsKey(s)) {
                    return "segment " + s + " is not in the live table";
                }
            }
            return null;
        }
    }
}
