package io.hyperfile.core.gc;

import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.index.IndexNode;
import io.hyperfile.core.index.InternalNode;
import io.hyperfile.core.index.LeafNode;
import io.hyperfile.core.index.Location;
import io.hyperfile.core.index.NodeCodec;
import io.hyperfile.core.index.NodeLimits;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.ObjectStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * Whether an older checkpoint is still whole: garbage collection deletes segments that only checkpoints older than
 * the grace period reach (docs/GC.md), so a checkpoint's own segment can outlive segments its index points into.
 * {@link #verify} walks the checkpoint's index (one GET per node, {@value SpaceAccounting#MAX_PARALLEL_READS} at a
 * time) and checks that every segment holding one of its nodes or data extents is listed. Reads only; stateless.
 */
public final class CheckpointPresence {
    private CheckpointPresence() {
    }

    /**
     * Completes with the checkpoint's footer if checkpoint {@code seq} of the volume under {@code prefix} and every
     * segment its index reaches exist (seq 0, the empty volume: null); else fails with {@link ObjectNotFoundException}
     * naming the first missing segment. A later GC pass may still delete them unless something retains the
     * checkpoint (a snapshot, or becoming the newest).
     */
    public static CompletableFuture<SegmentFooter> verify(ObjectStore store, String prefix, VolumeDescriptor desc, long seq) {
        String p = SegmentKeys.normalizePrefix(prefix);
        if (seq == 0) {
            return CompletableFuture.completedFuture(null);
        }
        return store.listAll(SegmentKeys.segmentPrefix(p), null).thenCompose(all -> {
            Set<Long> present = new HashSet<>();
            for (ObjectInfo o : all) {
                long s = SegmentKeys.parseSegment(p, o.key());
                if (s > 0) {
                    present.add(s);
                }
            }
            if (!present.contains(seq)) {
                return CompletableFuture.failedFuture(new ObjectNotFoundException(SegmentKeys.segment(p, seq),
                        "checkpoint " + seq + " no longer exists (deleted by garbage collection, or never written)"));
            }
            return new SegmentReader(store, p, desc.blockSizeBytes()).footer(seq).thenCompose(f -> {
                if (f.rootSeq() == 0) {
                    return CompletableFuture.completedFuture(f);
                }
                Walk walk = new Walk(store, p, desc, seq, present);
                return walk.level(List.of(new NodePointer(f.rootSeq(), f.rootOffset(), f.rootLength()))).thenApply(v -> f);
            });
        });
    }

    /** One walk; confined to its chain of futures. */
    private static final class Walk {
        private final ObjectStore store;
        private final String prefix;
        private final long seq;
        private final Set<Long> present;
        private final NodeCodec codec;
        private final Set<NodePointer> visited = new HashSet<>();

        Walk(ObjectStore store, String prefix, VolumeDescriptor desc, long seq, Set<Long> present) {
            this.store = store;
            this.prefix = prefix;
            this.seq = seq;
            this.present = present;
            this.codec = new NodeCodec(NodeLimits.ofNodeBytes(desc.maxNodeBytes()));
        }

        CompletableFuture<Void> level(List<NodePointer> nodes) {
            Set<Long> missing = new TreeSet<>();
            for (NodePointer ptr : nodes) {
                if (!present.contains(ptr.segmentSeq())) {
                    missing.add(ptr.segmentSeq());
                }
            }
            if (!missing.isEmpty()) {
                return CompletableFuture.failedFuture(missing(missing.iterator().next(), "index nodes"));
            }
            List<NodePointer> next = new ArrayList<>();
            List<Throwable> failures = new ArrayList<>();
            return SpaceAccounting.bounded(n -> CompletableFuture.completedFuture(null), nodes, this::read, (ptr, node) -> {
                if (node instanceof InternalNode in) {
                    for (int i = 0; i < in.entryCount(); i++) {
                        if (visited.add(in.pointer(i))) {
                            next.add(in.pointer(i));
                        }
                    }
                } else {
                    LeafNode leaf = (LeafNode) node;
                    for (int i = 0; i < leaf.entryCount(); i++) {
                        if (leaf.location(i) instanceof Location.Data d && !present.contains(d.segmentSeq())) {
                            missing.add(d.segmentSeq());
                        }
                    }
                }
            }, (ptr, e) -> failures.add(e)).thenCompose(v -> {
                if (!failures.isEmpty()) {
                    return CompletableFuture.failedFuture(failures.get(0));
                }
                if (!missing.isEmpty()) {
                    return CompletableFuture.failedFuture(missing(missing.iterator().next(), "data"));
                }
                return next.isEmpty() ? CompletableFuture.completedFuture(null) : level(next);
            });
        }

        private CompletableFuture<IndexNode> read(NodePointer ptr) {
            return store.get(SegmentKeys.segment(prefix, ptr.segmentSeq()), ByteRange.of(ptr.offset(), ptr.length()))
                    .thenApply(d -> codec.decode(ptr, d.data()));
        }

        private ObjectNotFoundException missing(long segment, String what) {
            return new ObjectNotFoundException(SegmentKeys.segment(prefix, segment), "checkpoint " + seq + " is no longer whole: "
                    + SegmentKeys.segment(prefix, segment) + ", which holds some of its " + what + ", was deleted by garbage collection");
        }
    }
}
