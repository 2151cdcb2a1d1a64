package io.hyperfile.core.gc;

import io.hyperfile.core.index.IndexNode;
import io.hyperfile.core.index.InternalNode;
import io.hyperfile.core.index.LeafNode;
import io.hyperfile.core.index.Location;
import io.hyperfile.core.index.NodeCodec;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.WindowLiveness;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * The live table (docs/GC.md, "Incremental liveness"): per segment, the data blocks and node bytes the newest
 * checkpoint reaches, and {@code changedAt}, the checkpoint at which the segment last lost a reference. It is kept
 * up to date by folding in the {@link WindowLiveness} of each later window instead of walking the index; subtrees a
 * window dropped unloaded stay counted until {@link #settle} walks them.
 *
 * <p>Because references to a segment never grow after it is written, {@code changedAt} answers for every older
 * checkpoint too: checkpoint {@code k} reaches segment {@code s} iff {@code s ≤ k} and either the newest checkpoint
 * reaches {@code s} or {@code k < changedAt(s)} ({@link #reaches}). Values may be late (larger than the true
 * checkpoint) where the table could not see each window, which only keeps segments longer.
 *
 * <p>Not thread-safe: used by one pass at a time.
 */
final class LiveTable {
    /** One segment's figures as of the table's checkpoint. */
    static final class Entry {
        long blocks;
        long nodeBytes;
        /** The checkpoint at which the segment last lost a reference; 0 when it lost none the table knows of. */
        long changedAt;
        /** The length of its extent table, or −1 until a footer read tells. */
        long extentTableLength = -1;
        /**
         * Encoded volumes: the bytes its data frames take and the slots they hold (from its footer), −1 until a footer
         * read tells. Kept in memory only: after a restart the first plan reads the footers again.
         */
        long dataBytes = -1;
        long slots = -1;

        boolean isLive() {
            return blocks > 0 || nodeBytes > 0;
        }
    }

    /** A saved subtree that window {@code window} dropped without loading it: still counted until settled. */
    private record Dropped(NodePointer pointer, long window) {
    }

    private long seq;
    /** When a walk last confirmed (or started) this table. */
    private final Instant checkedAt;
    private final TreeMap<Long, Entry> entries = new TreeMap<>();
    private final List<Dropped> pending = new ArrayList<>();

    LiveTable(long seq, Instant checkedAt) {
        this.seq = seq;
        this.checkedAt = checkedAt;
    }

    /**
     * The table of the walk's newest checkpoint. A segment the newest checkpoint does not reach gets the walk's
     * checkpoint as {@code changedAt} (it lost its last reference at or before it), unless nothing else reaches it
     * either: then it lost it before the oldest snapshot at or after it, if one is older.
     */
    static LiveTable of(SpaceAccounting.Liveness walk, Instant now) {
        LiveTable t = new LiveTable(walk.newestSeq(), now);
        TreeSet<Long> snapshots = new TreeSet<>(walk.report().retainedCheckpoints());
        for (SpaceReport.SegmentSpace s : walk.report().segments()) {
            Entry e = t.entry(s.seq());
            e.blocks = walk.newestBlocks().getOrDefault(s.seq(), 0L);
            e.nodeBytes = walk.newestNodeBytes().getOrDefault(s.seq(), 0L);
            boolean held = walk.held().contains(s.seq());
            if (!e.isLive() || held) {
                Long snapshot = snapshots.ceiling(s.seq());
                e.changedAt = held || snapshot == null ? walk.newestSeq() : Math.min(walk.newestSeq(), Math.max(s.seq() + 1, snapshot));
            }
            if (walk.footers().containsKey(s.seq())) {
                e.extentTableLength = walk.footers().get(s.seq()).extentTableLength();
            }
        }
        return t;
    }

    long seq() {
        return seq;
    }

    Instant checkedAt() {
        return checkedAt;
    }

    /** The entries by segment seq (live and dead ones alike). */
    NavigableMap<Long, Entry> entries() {
        return entries;
    }

    Entry entry(long segment) {
        return entries.computeIfAbsent(segment, s -> new Entry());
    }

    /** Whether checkpoint {@code k} reaches segment {@code s} (its index; a checkpoint's own footer aside). */
    boolean reaches(long k, long s) {
        Entry e = entries.get(s);
        if (e == null) {
            return s <= k; // unknown: assume the worst
        }
        return s <= k && (e.isLive() || k < e.changedAt);
    }

    /** Adds the changes of window {@code w}, the next one after this table's checkpoint. */
    void fold(WindowLiveness w) {
        if (w.seq() <= seq) {
            throw new IllegalArgumentException("window " + w.seq() + " is not after the table's checkpoint " + seq);
        }
        entry(w.seq()).changedAt = w.seq() + 1; // what it wrote counts below; if nothing, only its own checkpoint needs it
        add(w.blocks(), w.nodeBytes(), w.seq());
        for (NodePointer p : w.droppedSubtrees()) {
            pending.add(new Dropped(p, w.seq()));
        }
        seq = w.seq();
    }

    /**
     * Brings the table from its checkpoint to checkpoint {@code newest} with the changes between their index trees
     * (blocks and node bytes gained or lost per segment).
     * {@code listed}: the segments that exist; those after the table's checkpoint that it does not know start empty.
     * Every changed segment gets {@code newest} as {@code changedAt} (the windows in between are not seen one by one).
     */
    void advance(long newest, Map<Long, Long> blocks, Map<Long, Long> nodeBytes, Collection<Long> listed) {
        if (newest < seq) {
            throw new IllegalArgumentException("checkpoint " + newest + " is before the table's " + seq);
        }
        for (long s : listed) {
            if (s > seq && s <= newest) {
                entry(s).changedAt = newest;
            }
        }
        add(blocks, nodeBytes, newest);
        seq = newest;
    }

    private void add(Map<Long, Long> blocks, Map<Long, Long> nodeBytes, long at) {
        blocks.forEach((s, n) -> {
            Entry e = entry(s);
            e.blocks += n;
            if (n < 0) {
                e.changedAt = Math.max(e.changedAt, at);
            }
        });
        nodeBytes.forEach((s, n) -> {
            Entry e = entry(s);
            e.nodeBytes += n;
            if (n < 0) {
                e.changedAt = Math.max(e.changedAt, at);
            }
        });
    }

    /** Forgets deleted segments. */
    void forget(Collection<Long> deleted) {
        for (long s : deleted) {
            entries.remove(s);
        }
    }

    /** Keeps only the entries of segments in {@code listed} (others were deleted). */
    void retainListed(Set<Long> listed) {
        entries.keySet().retainAll(listed);
    }

    boolean hasPending() {
        return !pending.isEmpty();
    }

    /**
     * Walks the dropped subtrees and takes what they held off the counts. Subtrees in segments up to
     * {@code borrowedUpTo} are a clone's parent's (docs/CLONES.md), which the table does not count: skipped.
     */
    CompletableFuture<Void> settle(ObjectStore store, String prefix, NodeCodec codec, long borrowedUpTo) {
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        List<Dropped> todo = new ArrayList<>(pending);
        pending.clear();
        for (Dropped d : todo) {
            if (d.pointer().segmentSeq() > borrowedUpTo) {
                chain = chain.thenCompose(v -> subtract(store, prefix, codec, d.pointer(), d.window(), borrowedUpTo));
            }
        }
        return chain.whenComplete((v, e) -> {
            if (e != null) {
                pending.addAll(0, todo); // not settled: the table stays usable, only too live
            }
        });
    }

    private CompletableFuture<Void> subtract(ObjectStore store, String prefix, NodeCodec codec, NodePointer p, long window,
            long borrowedUpTo) {
        return store.get(SegmentKeys.segment(prefix, p.segmentSeq()), ByteRange.of(p.offset(), p.length()))
                .thenCompose(d -> {
                    IndexNode node = codec.decode(p, d.data());
                    add(Map.of(), Map.of(p.segmentSeq(), (long) -p.length()), window);
                    if (node instanceof LeafNode leaf) {
                        for (int i = 0; i < leaf.entryCount(); i++) {
                            if (leaf.location(i) instanceof Location.Data data && data.segmentSeq() > borrowedUpTo) {
                                add(Map.of(data.segmentSeq(), -leaf.blockCount(i)), Map.of(), window);
                            }
                        }
                        return CompletableFuture.completedFuture(null);
                    }
                    InternalNode in = (InternalNode) node;
                    CompletableFuture<Void> children = CompletableFuture.completedFuture(null);
                    for (int i = 0; i < in.entryCount(); i++) {
                        NodePointer child = in.pointer(i);
                        if (child.segmentSeq() > borrowedUpTo) {
                            children = children.thenCompose(v -> subtract(store, prefix, codec, child, window, borrowedUpTo));
                        }
                    }
                    return children;
                });
    }

    /** Where this table (settled, at the walk's checkpoint) and the walk disagree; empty when they agree. */
    List<String> differences(SpaceAccounting.Liveness walk) {
        List<String> out = new ArrayList<>();
        TreeSet<Long> segments = new TreeSet<>();
        entries.forEach((s, e) -> {
            if (e.isLive()) {
                segments.add(s);
            }
        });
        segments.addAll(walk.newestBlocks().keySet());
        segments.addAll(walk.newestNodeBytes().keySet());
        for (long s : segments) {
            Entry e = entries.getOrDefault(s, new Entry());
            long wb = walk.newestBlocks().getOrDefault(s, 0L);
            long wn = walk.newestNodeBytes().getOrDefault(s, 0L);
            if (e.blocks != wb || e.nodeBytes != wn) {
                out.add("segment " + s + ": table " + e.blocks + " blocks, " + e.nodeBytes + " node bytes; walk " + wb
                        + " blocks, " + wn + " node bytes");
            }
        }
        return out;
    }
}
