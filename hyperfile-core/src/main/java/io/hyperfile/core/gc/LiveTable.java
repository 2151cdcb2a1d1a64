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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * The live data blocks and node bytes of each segment as of one checkpoint, kept up to date by folding in the
 * {@link WindowLiveness} of later windows instead of walking the index (docs/GC.md, "Incremental liveness"). Subtrees
 * a window dropped unloaded stay counted until {@link #settle} walks them. As built, every pass checks the table
 * against its walk ({@link #differences}) and starts a new one from the walk; deletion still follows the walk.
 *
 * <p>Not thread-safe: used by one pass at a time.
 */
final class LiveTable {
    private long seq;
    private final Map<Long, Long> blocks = new HashMap<>();
    private final Map<Long, Long> nodeBytes = new HashMap<>();
    private final List<NodePointer> pending = new ArrayList<>();

    /** The table of the walk's newest checkpoint. */
    static LiveTable of(SpaceAccounting.Liveness walk) {
        LiveTable t = new LiveTable();
        t.seq = walk.newestSeq();
        t.blocks.putAll(walk.newestBlocks());
        t.nodeBytes.putAll(walk.newestNodeBytes());
        return t;
    }

    long seq() {
        return seq;
    }

    /** Adds the changes of window {@code w}, the next one after this table's checkpoint. */
    void fold(WindowLiveness w) {
        if (w.seq() <= seq) {
            throw new IllegalArgumentException("window " + w.seq() + " is not after the table's checkpoint " + seq);
        }
        w.blocks().forEach((s, n) -> blocks.merge(s, n, Long::sum));
        w.nodeBytes().forEach((s, n) -> nodeBytes.merge(s, n, Long::sum));
        pending.addAll(w.droppedSubtrees());
        seq = w.seq();
    }

    /** Walks the dropped subtrees and takes what they held off the counts. */
    CompletableFuture<Void> settle(ObjectStore store, String prefix, NodeCodec codec) {
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        List<NodePointer> todo = new ArrayList<>(pending);
        pending.clear();
        for (NodePointer p : todo) {
            chain = chain.thenCompose(v -> subtract(store, prefix, codec, p));
        }
        return chain;
    }

    private CompletableFuture<Void> subtract(ObjectStore store, String prefix, NodeCodec codec, NodePointer p) {
        return store.get(SegmentKeys.segment(prefix, p.segmentSeq()), ByteRange.of(p.offset(), p.length()))
                .thenCompose(d -> {
                    IndexNode node = codec.decode(p, d.data());
                    nodeBytes.merge(p.segmentSeq(), (long) -p.length(), Long::sum);
                    if (node instanceof LeafNode leaf) {
                        for (int i = 0; i < leaf.entryCount(); i++) {
                            if (leaf.location(i) instanceof Location.Data data) {
                                blocks.merge(data.segmentSeq(), -leaf.blockCount(i), Long::sum);
                            }
                        }
                        return CompletableFuture.completedFuture(null);
                    }
                    InternalNode in = (InternalNode) node;
                    CompletableFuture<Void> children = CompletableFuture.completedFuture(null);
                    for (int i = 0; i < in.entryCount(); i++) {
                        NodePointer child = in.pointer(i);
                        children = children.thenCompose(v -> subtract(store, prefix, codec, child));
                    }
                    return children;
                });
    }

    /** Where this table (settled, at the walk's checkpoint) and the walk disagree; empty when they agree. */
    List<String> differences(SpaceAccounting.Liveness walk) {
        List<String> out = new ArrayList<>();
        TreeSet<Long> segments = new TreeSet<>(blocks.keySet());
        segments.addAll(nodeBytes.keySet());
        segments.addAll(walk.newestBlocks().keySet());
        segments.addAll(walk.newestNodeBytes().keySet());
        for (long s : segments) {
            long b = blocks.getOrDefault(s, 0L);
            long wb = walk.newestBlocks().getOrDefault(s, 0L);
            long n = nodeBytes.getOrDefault(s, 0L);
            long wn = walk.newestNodeBytes().getOrDefault(s, 0L);
            if (b != wb || n != wn) {
                out.add("segment " + s + ": table " + b + " blocks, " + n + " node bytes; walk " + wb + " blocks, " + wn
                        + " node bytes");
            }
        }
        return out;
    }
}
