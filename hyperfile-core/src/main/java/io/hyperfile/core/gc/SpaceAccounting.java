package io.hyperfile.core.gc;

import io.hyperfile.core.checkpoint.CheckpointLocator;
import io.hyperfile.core.checkpoint.SnapshotRecord;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.index.IndexNode;
import io.hyperfile.core.index.InternalNode;
import io.hyperfile.core.index.LeafNode;
import io.hyperfile.core.index.Location;
import io.hyperfile.core.index.NodeCodec;
import io.hyperfile.core.index.NodeLimits;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentHeader;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.StorageException;
import java.util.ArrayList;
import java.util.BitSet;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Read-only space accounting of one volume (docs/GC.md, "Space accounting"): lists the volume's objects once, then
 * walks the index of every retained checkpoint (the newest segment and every snapshot's), each node once however
 * many checkpoints share it, and marks the data slots and node bytes they reach. Reads the footers of the live
 * segments for their overhead. Reports the figures in a {@link SpaceReport}; referenced objects that are missing or
 * unreadable are reported as problems, never thrown, so the figures stay usable (they then undercount live bytes).
 *
 * <p>Cost: one listing, one GET per reachable node and one footer GET per live segment, at most
 * {@value #MAX_PARALLEL_READS} at a time; memory is proportional to the reachable nodes. This is the full walk that
 * the incremental live-bytes table of docs/GC.md replaces for GC passes; it stays as the check of that table.
 *
 * <p>Stateless and thread-safe; one measurement's state is confined to its chain of futures (each step runs after
 * the previous one completed).
 */
public final class SpaceAccounting {
    static final int MAX_PARALLEL_READS = 32;
    /** Header (64 bytes) and footer (160 bytes): the fixed overhead of every segment. */
    static final long FIXED_OVERHEAD_BYTES = SegmentHeader.BYTES + SegmentFooter.BYTES;

    /**
     * The stored bytes of {@code liveSlots} slots of a segment: a slot's size (block and checksum) each, or, in an
     * encoded volume whose segment's data section ({@code dataBytes}, for {@code slots} slots) is known, that
     * section's share (a frame's bytes are kept while any of its slots is live, so this counts what moving the live
     * slots would free no more than roughly).
     */
    static long liveDataBytes(VolumeDescriptor desc, long liveSlots, long dataBytes, long slots) {
        if (!desc.encoding().isEncoded() || dataBytes < 0 || slots <= 0) {
            return liveSlots * (desc.blockSizeBytes() + 4L);
        }
        return (long) ((double) liveSlots / slots * dataBytes);
    }

    private SpaceAccounting() {
    }

    /**
     * Whether {@code key} is part of the volume's metadata (live in full): the descriptor, the head hint, the serving
     * lease, a pending resize request, a snapshot record, a live table object of garbage collection, or the link of a
     * clone (docs/CLONES.md).
     */
    static boolean isMetadata(String prefix, String key) {
        return key.equals(SegmentKeys.descriptor(prefix)) || key.equals(SegmentKeys.hint(prefix))
                || key.equals(SegmentKeys.lease(prefix)) || key.equals(SegmentKeys.resizeRequest(prefix))
                || key.startsWith(prefix + "snap/") || key.startsWith(prefix + "gc/") || key.startsWith(prefix + "clone/");
    }

    /** Measures the volume under {@code prefix} (as {@code "name"} or {@code "name/"}). */
    public static CompletableFuture<SpaceReport> measure(ObjectStore store, String prefix) {
        return walk(store, prefix, null, n -> CompletableFuture.completedFuture(null)).thenApply(Liveness::report);
    }

    /**
     * The walk a garbage collection pass plans with: the report, plus where the live slots and nodes are. With
     * {@code graceBefore}, the newest segment stored at or before that instant (the grace checkpoint, docs/GC.md
     * "Deletion") is walked last: what it reaches that the retained checkpoints do not is held, not live.
     */
    static CompletableFuture<Liveness> walk(ObjectStore store, String prefix, Instant graceBefore,
            IntFunction<CompletableFuture<Void>> pacer) {
        String p = SegmentKeys.normalizePrefix(prefix);
        String descriptorKey = SegmentKeys.descriptor(p);
        return store.get(descriptorKey, ByteRange.all()).thenApply(d -> VolumeDescriptor.decode(descriptorKey, d.data()))
                .thenCompose(desc -> store.listAll(p, null).thenCompose(all -> new Measurement(store, p, desc, all, graceBefore, pacer).run()));
    }

    /**
     * A walk's result. {@code liveSlots}: the reachable data slots per segment; {@code nodeKeys}: per segment, a
     * block number routed to each node stored there that the newest checkpoint reaches (first by its walk);
     * {@code held}: segments that a snapshot or the grace checkpoint reaches, which compaction leaves alone;
     * {@code graceSeq}: the grace checkpoint (0: none, nothing is old enough to delete); {@code storeError}: the first
     * store error (other than a missing object) behind a reported problem, or null; {@code newestBlocks} and
     * {@code newestNodeBytes}: what the newest checkpoint alone reaches, per segment.
     */
    record Liveness(SpaceReport report, VolumeDescriptor descriptor, long newestSeq, long graceSeq,
            Map<Long, BitSet> liveSlots, Map<Long, List<Long>> nodeKeys, Set<Long> held, Map<Long, SegmentFooter> footers,
            Map<Long, Instant> stored, StorageException storeError, Map<Long, Long> newestBlocks,
            Map<Long, Long> newestNodeBytes) {
    }

    /** One measurement; see the class comment for its confinement. */
    private static final class Measurement {
        private final ObjectStore store;
        private final String prefix;
        private final VolumeDescriptor desc;
        private final NodeCodec codec;
        private final long slotBytes;
        private final TreeMap<Long, Long> segmentSizes = new TreeMap<>();
        private final Map<Long, Instant> segmentTimes = new HashMap<>();
        private final Map<Long, List<Long>> nodeKeys = new HashMap<>();
        private final Map<NodePointer, Long> routeKeys = new HashMap<>();
        private final Set<Long> held = new HashSet<>();
        private long newestSeq;
        private long graceSeq;
        private StorageException storeError;
        /** Called with the number of reads before each batch of them: a pass's request rate limit. */
        private final IntFunction<CompletableFuture<Void>> pacer;
        private final Map<Long, Long> newestBlocks = new HashMap<>();
        private final Map<Long, Long> newestNodeBytes = new HashMap<>();
        private final List<String> snapshotKeys = new ArrayList<>();
        private final List<String> other = new ArrayList<>();
        private final Map<Long, List<String>> pinnedBy = new TreeMap<>();
        private final Set<NodePointer> visited = new HashSet<>();
        private final Map<Long, BitSet> liveSlots = new HashMap<>();
        private final Map<Long, Long> liveNodeBytes = new HashMap<>();
        private final Map<Long, SegmentFooter> footers = new HashMap<>();
        private final Set<Long> reportedMissing = new HashSet<>();
        private final List<SpaceReport.Problem> problems = new ArrayList<>();
        private long storedBytes;
        private long metadataBytes;
        private final long objectCount;
        /**
         * Segment seqs up to this one are a clone's parent's (docs/CLONES.md): not the volume's to account, delete or
         * compact, never listed under its prefix and so never victims. A walk stops at them: a node stored in a
         * parent's segment only points into the parent's segments (children are written no later than their parent).
         */
        private final long borrowedUpTo;

        Measurement(ObjectStore store, String prefix, VolumeDescriptor desc, List<ObjectInfo> all, Instant graceBefore,
                IntFunction<CompletableFuture<Void>> pacer) {
            this.pacer = pacer;
            this.store = store;
            this.prefix = prefix;
            this.desc = desc;
            this.codec = new NodeCodec(NodeLimits.ofNodeBytes(desc.maxNodeBytes()));
            this.slotBytes = desc.blockSizeBytes() + 4L;
            this.objectCount = all.size();
            this.borrowedUpTo = desc.borrowedUpTo();
            for (ObjectInfo o : all) {
                storedBytes += o.size();
                long seq = SegmentKeys.parseSegment(prefix, o.key());
                if (seq > 0) {
                    segmentSizes.put(seq, o.size());
                    segmentTimes.put(seq, o.lastModified());
                    if (graceBefore != null && o.lastModified() != null && !o.lastModified().isAfter(graceBefore)) {
                        graceSeq = Math.max(graceSeq, seq);
                    }
                } else if (isMetadata(prefix, o.key()) && !o.key().startsWith(prefix + "snap/")) {
                    metadataBytes += o.size();
                } else if (o.key().startsWith(prefix + "snap/")) {
                    snapshotKeys.add(o.key());
                    metadataBytes += o.size();
                } else {
                    other.add(o.key());
                }
            }
        }

        /**
         * The newest checkpoint is the newest complete one (segments above it are orphans or still on their way to
         * the store, docs/FORMAT.md), and so is the grace checkpoint: a lower grace checkpoint only holds more.
         */
        private CompletableFuture<Void> findCheckpoints() {
            if (segmentSizes.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            TreeSet<Long> listed = new TreeSet<>(segmentSizes.keySet());
            return CheckpointLocator.newestCompleteAmong(store, prefix, listed, listed.last()).thenCompose(newest -> {
                newestSeq = newest;
                if (newest == 0) {
                    problem(listed.last(), "no segment is a complete checkpoint: each misses a segment its index may point into");
                    graceSeq = 0;
                    return CompletableFuture.completedFuture(null);
                }
                pinnedBy.computeIfAbsent(newestSeq, s -> new ArrayList<>()).add("newest");
                if (graceSeq == 0) {
                    return CompletableFuture.completedFuture(null);
                }
                return CheckpointLocator.newestCompleteAmong(store, prefix, listed, Math.min(graceSeq, newest))
                        .thenAccept(g -> graceSeq = g);
            });
        }

        CompletableFuture<Liveness> run() {
            return findCheckpoints().thenCompose(x -> bounded(pacer, snapshotKeys, k -> store.get(k, ByteRange.all()).thenApply(d -> SnapshotRecord.decode(k, d.data()).seq()),
                    (k, seq) -> pinnedBy.computeIfAbsent(seq, s -> new ArrayList<>()).add("snapshot " + k.substring(prefix.length() + 5)),
                    (k, e) -> problemAfter(e, 0, k + ": cannot read snapshot record: " + e.getMessage())))
                    .thenCompose(v -> walkCheckpoints())
                    .thenCompose(v -> readLiveFooters())
                    .thenApply(v -> new Liveness(report(), desc, newestSeq, graceSeq, liveSlots, nodeKeys, held, footers,
                            segmentTimes, storeError, newestBlocks, newestNodeBytes));
        }

        /** The newest checkpoint first, then the snapshots from newest to oldest. */
        private CompletableFuture<Void> walkCheckpoints() {
            CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
            List<Long> order = new ArrayList<>(new TreeSet<>(pinnedBy.keySet()).descendingSet());
            if (graceSeq > 0 && !pinnedBy.containsKey(graceSeq)) {
                order.add(graceSeq); // last: it only holds what no retained checkpoint reaches
            }
            for (long seq : order) {
                if (seq == 0 || seq <= borrowedUpTo) {
                    continue; // the empty volume, or a clone's base checkpoint: nothing of its own
                }
                chain = chain.thenCompose(v -> {
                    if (!segmentSizes.containsKey(seq)) {
                        problem(seq, "checkpoint " + seq + " (" + String.join(", ", pinnedBy.getOrDefault(seq, List.of("grace"))) + ") is missing: "
                                + SegmentKeys.segment(prefix, seq) + " does not exist");
                        return CompletableFuture.completedFuture(null);
                    }
                    return new SegmentReader(store, prefix, desc.blockSizeBytes()).footer(seq).handle((f, e) -> {
                        if (e != null) {
                            problemAfter(e, seq, SegmentKeys.segment(prefix, seq) + ": cannot read the footer of checkpoint " + seq
                                    + ": " + Exceptions.unwrap(e).getMessage());
                            return CompletableFuture.<Void>completedFuture(null);
                        }
                        footers.put(seq, f);
                        if (f.rootSeq() == 0) {
                            return CompletableFuture.<Void>completedFuture(null);
                        }
                        NodePointer root = new NodePointer(f.rootSeq(), f.rootOffset(), f.rootLength());
                        if (!visited.add(root)) {
                            return CompletableFuture.<Void>completedFuture(null); // a claim segment: its root was walked
                        }
                        routeKeys.put(root, 0L);
                        return walkLevel(seq, List.of(root), f.height() - 1);
                    }).thenCompose(x -> x);
                });
                if (seq == newestSeq) {
                    chain = chain.thenRun(() -> { // walked first: so far everything is the newest checkpoint's
                        liveSlots.forEach((s, bits) -> newestBlocks.put(s, (long) bits.cardinality()));
                        newestNodeBytes.putAll(liveNodeBytes);
                    });
                }
            }
            return chain;
        }

        /** Reads the nodes of one level (all not visited before), marks what they reach, then walks their children. */
        private CompletableFuture<Void> walkLevel(long checkpoint, List<NodePointer> level, int expectedLevel) {
            List<NodePointer> next = new ArrayList<>();
            return bounded(pacer, level, ptr -> readNode(checkpoint, ptr), (ptr, node) -> {
                if (node == null) {
                    return;
                }
                if (node.level() != expectedLevel) {
                    problem(checkpoint, SegmentKeys.segment(prefix, ptr.segmentSeq()) + ": " + ptr + " has level " + node.level()
                            + " where checkpoint " + checkpoint + " expects " + expectedLevel);
                    return;
                }
                long bound = routeKeys.remove(ptr);
                if (checkpoint == graceSeq && checkpoint != newestSeq && !pinnedBy.containsKey(checkpoint)) {
                    held.add(ptr.segmentSeq());
                } else {
                    liveNodeBytes.merge(ptr.segmentSeq(), (long) ptr.length(), Long::sum);
                    if (checkpoint == newestSeq) {
                        nodeKeys.computeIfAbsent(ptr.segmentSeq(), s -> new ArrayList<>()).add(bound);
                    } else {
                        held.add(ptr.segmentSeq());
                    }
                }
                if (node instanceof InternalNode in) {
                    for (int i = 0; i < in.entryCount(); i++) {
                        if (visited.add(in.pointer(i))) {
                            next.add(in.pointer(i));
                            routeKeys.put(in.pointer(i), Math.max(bound, in.key(i)));
                        }
                    }
                } else {
                    markLeaf(checkpoint, (LeafNode) node);
                }
            }, (ptr, e) -> problemAfter(e, checkpoint, SegmentKeys.segment(prefix, ptr.segmentSeq()) + ": cannot read index node " + ptr
                    + " of checkpoint " + checkpoint + ": " + e.getMessage()))
                    .thenCompose(v -> next.isEmpty() ? CompletableFuture.completedFuture(null)
                            : walkLevel(checkpoint, next, expectedLevel - 1));
        }

        /** The node, or null (reported) when its segment is not in the listing. */
        private CompletableFuture<IndexNode> readNode(long checkpoint, NodePointer ptr) {
            if (ptr.segmentSeq() <= borrowedUpTo) {
                return CompletableFuture.completedFuture(null); // the parent's: its subtree is too
            }
            if (!segmentSizes.containsKey(ptr.segmentSeq())) {
                missing(checkpoint, ptr.segmentSeq(), "index node " + ptr);
                return CompletableFuture.completedFuture(null);
            }
            return store.get(SegmentKeys.segment(prefix, ptr.segmentSeq()), ByteRange.of(ptr.offset(), ptr.length()))
                    .thenApply(d -> codec.decode(ptr, d.data()));
        }

        private void markLeaf(long checkpoint, LeafNode leaf) {
            for (int i = 0; i < leaf.entryCount(); i++) {
                if (!(leaf.location(i) instanceof Location.Data d) || d.segmentSeq() <= borrowedUpTo) {
                    continue;
                }
                Long size = segmentSizes.get(d.segmentSeq());
                if (size == null) {
                    missing(checkpoint, d.segmentSeq(), "extent " + leaf.extent(i));
                    continue;
                }
                long end = d.blockOffset() + leaf.blockCount(i);
                // Encoded segments hold fewer bytes than slots; their slot count is checked against the footer.
                if (!desc.encoding().isEncoded() && end > (size - FIXED_OVERHEAD_BYTES) / slotBytes) {
                    problem(checkpoint, "extent " + leaf.extent(i) + " of checkpoint " + checkpoint + " points past the data of "
                            + SegmentKeys.segment(prefix, d.segmentSeq()) + " (" + size + " bytes)");
                    continue;
                }
                if (checkpoint == newestSeq || pinnedBy.containsKey(checkpoint)) {
                    liveSlots.computeIfAbsent(d.segmentSeq(), s -> new BitSet()).set((int) d.blockOffset(), (int) end);
                }
                if (checkpoint == graceSeq && !pinnedBy.containsKey(checkpoint)) {
                    // Walked last: it holds a segment only for data that no retained checkpoint reaches. A leaf
                    // copied since g lists every extent of its range, most of them still live.
                    BitSet liveHere = liveSlots.get(d.segmentSeq());
                    if (liveHere == null || liveHere.nextClearBit((int) d.blockOffset()) < end) {
                        held.add(d.segmentSeq());
                    }
                } else if (checkpoint != newestSeq) {
                    held.add(d.segmentSeq());
                }
            }
        }

        private CompletableFuture<Void> readLiveFooters() {
            List<Long> live = new ArrayList<>();
            for (long seq : segmentSizes.keySet()) {
                if (!footers.containsKey(seq) && (liveSlots.containsKey(seq) || liveNodeBytes.containsKey(seq))) {
                    live.add(seq);
                }
            }
            SegmentReader reader = new SegmentReader(store, prefix, desc.blockSizeBytes());
            return bounded(pacer, live, reader::footer, footers::put, (seq, e) -> problemAfter(e, -1, SegmentKeys.segment(prefix, seq)
                    + ": cannot read the footer of a live segment: " + e.getMessage()));
        }

        private SpaceReport report() {
            List<SpaceReport.SegmentSpace> segments = new ArrayList<>();
            List<Long> unreferenced = new ArrayList<>();
            long live = metadataBytes;
            for (Map.Entry<Long, Long> e : segmentSizes.entrySet()) {
                long seq = e.getKey();
                BitSet slots = liveSlots.get(seq);
                long slotCount = slots == null ? 0 : slots.cardinality();
                SegmentFooter f = footers.get(seq);
                if (f != null && slots != null && slots.length() > f.dataBlockCount()) {
                    problem(seq, "checkpoints map slot " + (slots.length() - 1) + " of " + SegmentKeys.segment(prefix, seq)
                            + ", which has " + f.dataBlockCount() + " slots");
                }
                boolean checkpoint = pinnedBy.containsKey(seq);
                long nodeBytes = liveNodeBytes.getOrDefault(seq, 0L);
                boolean isLive = checkpoint || slotCount > 0 || nodeBytes > 0;
                long overhead = !isLive ? 0 : FIXED_OVERHEAD_BYTES + (f == null ? 0 : f.extentTableLength());
                SpaceReport.SegmentSpace s = new SpaceReport.SegmentSpace(seq, e.getValue(), slotCount,
                        liveDataBytes(desc, slotCount, f == null ? -1 : f.nodeOffset() - f.dataOffset(),
                                f == null ? -1 : f.dataBlockCount()), nodeBytes, overhead, checkpoint);
                segments.add(s);
                live += s.liveBytes();
                if (!isLive) {
                    unreferenced.add(seq);
                }
            }
            SegmentFooter newest = segmentSizes.isEmpty() ? null : footers.get(segmentSizes.lastKey());
            long logical = newest == null ? desc.sizeBytes() : newest.volumeSizeBytes();
            long mapped = newest == null ? 0 : newest.mappedBlocks() * desc.blockSizeBytes();
            return new SpaceReport(logical, mapped, live, storedBytes, objectCount, segmentSizes.size(), List.copyOf(new TreeSet<>(pinnedBy.keySet())),
                    segments, unreferenced, other, problems);
        }

        private void missing(long checkpoint, long segmentSeq, String what) {
            if (reportedMissing.add(segmentSeq)) {
                problem(checkpoint, what + " of checkpoint " + checkpoint + " points into " + SegmentKeys.segment(prefix, segmentSeq)
                        + ", which is missing");
            }
        }

        /** A problem caused by a failed read: a store error (not a missing object) is remembered as such. */
        private void problemAfter(Throwable e, long checkpoint, String message) {
            Throwable cause = Exceptions.unwrap(e);
            if (storeError == null && cause instanceof StorageException se && !(cause instanceof ObjectNotFoundException)) {
                storeError = se;
            }
            problem(checkpoint, message);
        }

        private void problem(long checkpoint, String message) {
            problems.add(new SpaceReport.Problem(checkpoint, message));
        }
    }

    /**
     * Runs {@code read} for every item, at most {@value #MAX_PARALLEL_READS} at a time (each batch waits for
     * {@code pacer} first), then hands each result in
     * order to {@code onValue} or its failure to {@code onFailure}; the handlers of one batch run one after another,
     * after the previous batch's.
     */
    static <T, R> CompletableFuture<Void> bounded(IntFunction<CompletableFuture<Void>> pacer, List<T> items,
            Function<T, CompletableFuture<R>> read, BiConsumer<T, R> onValue, BiConsumer<T, Throwable> onFailure) {
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (int from = 0; from < items.size(); from += MAX_PARALLEL_READS) {
            List<T> batch = items.subList(from, Math.min(items.size(), from + MAX_PARALLEL_READS));
            chain = chain.thenCompose(v -> pacer.apply(batch.size())).thenCompose(v -> {
                List<CompletableFuture<R>> reads = new ArrayList<>(batch.size());
                for (T item : batch) {
                    CompletableFuture<R> f;
                    try {
                        f = read.apply(item);
                    } catch (RuntimeException e) {
                        f = CompletableFuture.failedFuture(e);
                    }
                    reads.add(f);
                }
                return CompletableFuture.allOf(reads.stream().map(f -> f.handle((x, e) -> null)).toArray(CompletableFuture[]::new))
                        .thenRun(() -> {
                            for (int i = 0; i < batch.size(); i++) {
                                CompletableFuture<R> f = reads.get(i);
                                R value;
                                try {
                                    value = f.join();
                                } catch (RuntimeException e) {
                                    onFailure.accept(batch.get(i), Exceptions.unwrap(e));
                                    continue;
                                }
                                onValue.accept(batch.get(i), value);
                            }
                        });
            });
        }
        return chain;
    }
}
