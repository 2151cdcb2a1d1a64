package io.hyperfile.core.volume;

import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.index.IndexNode;
import io.hyperfile.core.index.InternalNode;
import io.hyperfile.core.index.LeafNode;
import io.hyperfile.core.index.Location;
import io.hyperfile.core.index.NodeCodec;
import io.hyperfile.core.index.NodeLimits;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * {@code volume flatten}: makes a clone independent of its parent (docs/CLONES.md, "Flatten"). Every data extent and
 * index node that the clone's newest checkpoint still reads from a segment at or below its base seq is copied into
 * the clone's own segments through the compaction path ({@link Volume#relocate}), a walk checks that nothing borrowed
 * is left, then the descriptor is rewritten as flattened (the lineage is no longer read) and the link in the parent
 * is removed. Each step is safe to crash in: until the descriptor is rewritten the volume is a working clone whose
 * newest checkpoint reads less and less of its parent; after it, a working volume of its own, and a rerun only
 * removes the link. The clone must not be written meanwhile (the caller makes sure it is not served); it must have no
 * snapshots (they would keep reading the parent's segments, which the parent may then delete). Not thread-safe: one
 * flatten per volume at a time.
 */
public final class CloneFlatten {
    /** How many times copying starts over before giving up (a second round only if a first left something behind). */
    static final int MAX_ROUNDS = 3;

    private CloneFlatten() {
    }

    /** What a flatten did: blocks and index paths copied, and whether the volume was already flattened. */
    public record Result(long blocksCopied, long pathsRewritten, boolean alreadyFlat) {
    }

    /** One borrowed data extent, or the routed key of a borrowed index node. */
    private record Borrowed(List<long[]> extents, List<Long> nodeKeys, Set<Long> nodeSegments) {
        boolean isEmpty() {
            return extents.isEmpty() && nodeKeys.isEmpty();
        }
    }

    /**
     * Flattens clone {@code name}. Fails with {@link IllegalArgumentException} if it is not a clone and with
     * {@link IllegalStateException} if it has snapshots. {@code progress} receives one line per step.
     */
    public static CompletableFuture<Result> flatten(ObjectStore store, String name, VolumeConfig config, Consumer<String> progress) {
        String p = VolumeCatalog.checkName(name) + "/";
        return VolumeOpener.described(store, p).thenCompose(d -> {
            VolumeDescriptor desc = d.desc();
            if (desc.origin() == null) {
                throw new IllegalArgumentException("volume " + name + " is not a clone");
            }
            if (desc.origin().flattened()) {
                return Clones.unlink(store, name, desc).thenApply(v -> new Result(0, 0, true));
            }
            return Snapshots.names(store, p).thenCompose(snaps -> {
                if (!snaps.isEmpty()) {
                    throw new IllegalStateException("clone " + name + " has snapshots that read its parent's segments: "
                            + String.join(", ", snaps) + " (delete them first)");
                }
                return Volume.open(store, p, name, config);
            }).thenCompose(v -> copyAll(d, p, v, progress, 1, 0, 0).handle((r, e) -> {
                if (e != null) {
                    v.abort();
                    return CompletableFuture.<Result>failedFuture(e);
                }
                return v.close().thenApply(x -> r);
            }).thenCompose(f -> f)).thenCompose(r -> {
                VolumeDescriptor flat = desc.withOrigin(desc.origin().asFlattened());
                progress.accept("nothing borrowed is left; marking " + name + " flattened");
                return store.put(SegmentKeys.descriptor(p), flat.encode())
                        .thenCompose(v -> Clones.unlink(store, name, flat)).thenApply(v -> r);
            });
        });
    }

    private static CompletableFuture<Result> copyAll(VolumeOpener.Described d, String p, Volume v, Consumer<String> progress,
            int round, long blocks, long paths) {
        return v.flush().thenCompose(x -> v.durableSeq()).thenCompose(seq -> plan(d, p, seq)).thenCompose(b -> {
            if (b.isEmpty()) {
                return CompletableFuture.completedFuture(new Result(blocks, paths, false));
            }
            if (round > MAX_ROUNDS) {
                throw new IllegalStateException("volume " + v.name() + " still reads " + b.extents().size() + " extents and "
                        + b.nodeKeys().size() + " index nodes of its parent after " + MAX_ROUNDS + " rounds of copying");
            }
            long count = b.extents().stream().mapToLong(e -> e[1]).sum();
            progress.accept("round " + round + ": copying " + count + " blocks in " + b.extents().size() + " extents and "
                    + b.nodeKeys().size() + " index paths");
            return copy(v, b).thenCompose(x -> copyAll(d, p, v, progress, round + 1, blocks + count, paths + b.nodeKeys().size()));
        });
    }

    /** Walks checkpoint {@code seq}'s index: what it reads at or below the base seq. */
    private static CompletableFuture<Borrowed> plan(VolumeOpener.Described d, String p, long seq) {
        long base = d.desc().borrowedUpTo();
        Borrowed b = new Borrowed(new ArrayList<>(), new ArrayList<>(), new HashSet<>());
        if (seq == 0) {
            return CompletableFuture.completedFuture(b);
        }
        NodeCodec codec = new NodeCodec(NodeLimits.ofNodeBytes(d.desc().maxNodeBytes()));
        return new SegmentReader(d.store(), p, d.desc().blockSizeBytes()).footer(seq).thenCompose(f -> {
            if (f.rootSeq() == 0) {
                return CompletableFuture.completedFuture(b);
            }
            return walk(d.store(), p, codec, base, new NodePointer(f.rootSeq(), f.rootOffset(), f.rootLength()), 0, b);
        }).thenApply(x -> {
            b.extents().sort(Comparator.comparingLong(e -> e[0]));
            return b;
        });
    }

    /** Depth-first, one node at a time: flatten is a one-off copy, not a hot path. */
    private static CompletableFuture<Borrowed> walk(ObjectStore store, String p, NodeCodec codec, long base, NodePointer ptr,
            long routedKey, Borrowed b) {
        return store.get(SegmentKeys.segment(p, ptr.segmentSeq()), ByteRange.of(ptr.offset(), ptr.length())).thenCompose(data -> {
            IndexNode node = codec.decode(ptr, data.data());
            if (ptr.segmentSeq() <= base) {
                b.nodeKeys().add(routedKey);
                b.nodeSegments().add(ptr.segmentSeq());
            }
            if (node instanceof LeafNode leaf) {
                for (int i = 0; i < leaf.entryCount(); i++) {
                    if (leaf.location(i) instanceof Location.Data loc && loc.segmentSeq() <= base) {
                        b.extents().add(new long[] {leaf.startBlock(i), leaf.blockCount(i), loc.segmentSeq(), loc.blockOffset()});
                    }
                }
                return CompletableFuture.completedFuture(b);
            }
            InternalNode in = (InternalNode) node;
            CompletableFuture<Borrowed> chain = CompletableFuture.completedFuture(b);
            for (int i = 0; i < in.entryCount(); i++) {
                NodePointer child = in.pointer(i);
                long key = Math.max(routedKey, in.key(i));
                chain = chain.thenCompose(x -> walk(store, p, codec, base, child, key, b));
            }
            return chain;
        });
    }

    /** Copies the borrowed extents in batches of one segment each, then rewrites the borrowed index paths. */
    private static CompletableFuture<Void> copy(Volume v, Borrowed b) {
        int max = v.maxRelocationBlocks();
        int blockSize = v.blockSizeBytes();
        List<long[]> pieces = new ArrayList<>();
        for (long[] e : b.extents()) {
            for (long done = 0; done < e[1]; done += max) {
                pieces.add(new long[] {e[0] + done, Math.min(max, e[1] - done), e[2], e[3] + done});
            }
        }
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        int from = 0;
        while (from < pieces.size()) {
            int to = from;
            long blocks = 0;
            while (to < pieces.size() && blocks + pieces.get(to)[1] <= max) {
                blocks += pieces.get(to)[1];
                to++;
            }
            List<long[]> batch = pieces.subList(from, to);
            chain = chain.thenCompose(x -> relocate(v, batch, blockSize));
            from = to;
        }
        long[] keys = b.nodeKeys().stream().mapToLong(Long::longValue).toArray();
        if (keys.length > 0) {
            chain = chain.thenCompose(x -> v.relocate(new RelocationBatch(List.of(), keys, b.nodeSegments())));
        }
        return chain.thenCompose(x -> v.flush());
    }

    private static CompletableFuture<Void> relocate(Volume v, List<long[]> batch, int blockSize) {
        List<CompletableFuture<Relocation>> reads = new ArrayList<>();
        for (long[] piece : batch) {
            ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(piece[1] * blockSize));
            reads.add(v.read(piece[0] * blockSize, buf).thenApply(x -> new Relocation(piece[0], (int) piece[1],
                    new Location.Data(piece[2], piece[3]), buf)));
        }
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
                .thenCompose(x -> v.relocate(new RelocationBatch(reads.stream().map(CompletableFuture::join).toList(),
                        new long[0], Set.of())));
    }
}
