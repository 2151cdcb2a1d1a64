package io.hyperfile.core.index;

import io.hyperfile.core.collect.LongSums;
import io.hyperfile.core.format.ByteWriter;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * A batch of changes on top of a {@link BlockIndex} snapshot, persisted with {@link #save}. Like Xodus's
 * {@code ITreeMutable}: copy-on-write, so the snapshot it came from (and every other) is unaffected; nodes it did
 * not change stay shared with them, and unsaved nodes are held here by reference until {@code save}.
 *
 * <p>Semantics: {@link #put} maps a range (splitting or overwriting whatever overlaps, shifting the block offset of a
 * data extent's right-hand remainder) and merges it with neighbours whose location it continues, so a sequential
 * write stream gives one extent per segment. {@link #remove} makes a range a hole. Both cost O(height) node visits
 * plus the extents they cut at the edges; whole subtrees inside the range are dropped without being loaded.
 *
 * <p>Each mutation is atomic: if the resolver throws {@link NodeNotLoadedException} the tree is unchanged, so the
 * mutation can be run again through {@link IndexAccess#run} once the node is loaded.
 *
 * <p>Thread-safety: not thread-safe; used only by the volume's writer thread ({@code hf-volume-<name>}).
 * {@link #snapshot()} hands out immutable views that other threads may read.
 */
public final class MutableBlockIndex {
    private final NodeLimits limits;
    private final NodeCodec codec;
    private IndexNode root;
    private NodePointer rootPointer;
    private LivenessSink sink = LivenessSink.NONE;
    /** Scratch for {@link PendingEvents}, reused by every mutation (one runs at a time). */
    private final LongSums dataSums = new LongSums(256);

    MutableBlockIndex(NodeLimits limits, IndexNode root, NodePointer rootPointer) {
        this.limits = limits;
        this.codec = new NodeCodec(limits);
        this.root = root;
        this.rootPointer = rootPointer;
    }

    /** Maps {@code [startBlock, startBlock + blockCount)} to {@code location} (block {@code startBlock + i} at {@code location.advance(i)}). */
    public void put(NodeResolver resolver, long startBlock, long blockCount, Location location) {
        Objects.requireNonNull(location, "location");
        new Extent(startBlock, blockCount, location); // validates the range and the location's block offsets
        long a = startBlock;
        long b = startBlock + blockCount;
        Location loc = location;
        if (root != null) {
            Extent at = TreeReads.find(root, a, resolver);
            if (at != null && at.endBlock() >= b && sameLocationAt(a, at, a, loc)) {
                return;
            }
            Extent prev = at != null && at.startBlock() < a ? at : a > 0 ? TreeReads.find(root, a - 1, resolver) : null;
            if (prev != null && sameLocationAt(a, prev, a, loc)) {
                a = prev.startBlock();
                loc = prev.location();
                b = Math.max(b, prev.endBlock());
            }
            Extent next = b < NodeLimits.MAX_BLOCKS ? TreeReads.find(root, b, resolver) : null;
            if (next != null && sameLocationAt(b, next, a, loc)) {
                b = next.endBlock();
            }
        }
        apply(resolver, a, b, new Extent(a, b - a, loc));
    }

    /**
     * Maps each of {@code extents} as {@link #put} would, for the extents of one new segment: DATA locations in a
     * segment no existing extent points into, sorted by start block, disjoint and not adjacent with consecutive
     * offsets (so none merges with a neighbour, which is what {@link io.hyperfile.core.segment.SegmentBuilder#seal}
     * gives). The extents that fall into one leaf are applied together, and the leaves' groups in one descent
     * ({@link TreeUpdate#replaceAll}): each leaf and each node above it is copied once per call, however many
     * extents it receives, which is what makes scattered 4 KiB writes cheap to index. An extent that spans two
     * leaves is mapped on its own, as {@link #put} maps it.
     */
    public void putAll(NodeResolver resolver, List<Extent> extents) {
        List<TreeUpdate.Replacement> batch = new ArrayList<>();
        int i = 0;
        while (i < extents.size()) {
            Extent first = extents.get(i);
            long leafHi = root instanceof InternalNode ? leafUpperBound(first.startBlock(), resolver) : -1;
            if (first.endBlock() > leafHi) {
                // A leaf root, or an extent that spans leaves: after the batch so far, which this may reshape.
                applyBatch(resolver, batch);
                batch.clear();
                put(resolver, first.startBlock(), first.blockCount(), first.location());
                i++;
                continue;
            }
            int j = i + 1;
            while (j < extents.size() && extents.get(j).endBlock() <= leafHi) {
                j++;
            }
            batch.add(TreeUpdate.Replacement.overlay(extents.subList(i, j)));
            i = j;
        }
        applyBatch(resolver, batch);
    }

    private void applyBatch(NodeResolver resolver, List<TreeUpdate.Replacement> batch) {
        if (!batch.isEmpty()) {
            applyWith(resolver, update -> update.replaceAll(root, batch));
        }
    }

    /** The upper bound (exclusive) of the block range routed to the leaf that holds {@code blockNo}. */
    private long leafUpperBound(long blockNo, NodeResolver resolver) {
        long hi = NodeLimits.MAX_BLOCKS;
        IndexNode node = root;
        while (node instanceof InternalNode in) {
            int k = Math.max(0, in.lastKeyAtOrBefore(blockNo));
            if (k + 1 < in.entryCount()) {
                hi = Math.min(hi, in.key(k + 1));
            }
            node = in.child(k, resolver);
        }
        return hi;
    }

    /** Makes {@code [startBlock, startBlock + blockCount)} a hole. */
    public void remove(NodeResolver resolver, long startBlock, long blockCount) {
        Extent.checkRange(startBlock, blockCount);
        apply(resolver, startBlock, startBlock + blockCount, null);
    }

    /**
     * Copies the leaf that block {@code blockNo} is routed to and every node above it, unchanged, so that
     * {@link #save} writes them anew (garbage collection moves index nodes out of a segment this way). Nothing
     * happens on an empty tree.
     */
    public void rewritePath(NodeResolver resolver, long blockNo) {
        rewritePathThrough(resolver, blockNo, null);
    }

    /**
     * Like {@link #rewritePath}, but only if a saved node on the path lies in one of {@code segments} (null: always).
     * Compaction names the nodes to move out of its victims this way: a path that no longer runs through a victim
     * (a client write copied it since) is left alone.
     */
    public void rewritePathThrough(NodeResolver resolver, long blockNo, Set<Long> segments) {
        Extent.checkRange(blockNo, 1);
        if (root == null) {
            return;
        }
        boolean through = segments == null || (rootPointer != null && segments.contains(rootPointer.segmentSeq()));
        IndexNode node = root;
        while (node instanceof InternalNode in) {
            int i = Math.max(0, in.lastKeyAtOrBefore(blockNo));
            NodePointer p = in.pointer(i);
            through = through || (p != null && segments.contains(p.segmentSeq()));
            node = in.child(i, resolver);
        }
        if (!through) {
            return;
        }
        LeafNode leaf = (LeafNode) node;
        if (leaf.entryCount() == 0) {
            return;
        }
        Extent first = leaf.extent(0);
        PendingEvents events = new PendingEvents(sink, dataSums);
        TreeUpdate update = new TreeUpdate(limits, resolver, events.target());
        List<IndexNode> pieces = update.replace(root, first.startBlock(), first.endBlock(), first);
        if (rootPointer != null) {
            events.target().nodeDropped(rootPointer);
        }
        root = update.grow(pieces);
        rootPointer = null;
        events.deliver();
    }

    /** Reports what the following changes make reachable and unreachable to {@code sink} (docs/GC.md). */
    public void trackLiveness(LivenessSink sink) {
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    /** True when there are changes that {@link #save} would write. */
    public boolean isDirty() {
        return root != null && rootPointer == null;
    }

    /** An immutable view of the current state (unsaved nodes included); O(1). */
    public BlockIndex snapshot() {
        return new BlockIndex(limits, root, rootPointer);
    }

    /**
     * Writes every node changed since the base snapshot (and no other), children before parents, into segment
     * {@code segmentSeq} through {@code sink}, and returns the new snapshot, which references everything by
     * pointer. This tree then continues from the new snapshot. Writes nothing when nothing changed. If the sink
     * throws, this tree is unchanged and the save may be repeated into another segment.
     */
    public SaveResult save(long segmentSeq, NodeSink sink) {
        if (segmentSeq < 0 || segmentSeq > NodeLimits.MAX_SEGMENT_SEQ) {
            throw new IllegalArgumentException("segmentSeq out of range. segmentSeq=" + segmentSeq);
        }
        Objects.requireNonNull(sink, "sink");
        if (!isDirty()) {
            return new SaveResult(snapshot(), List.of(), 0);
        }
        Saver saver = new Saver(segmentSeq, sink);
        SaveResult.SavedNode savedRoot = saver.save(root);
        root = savedRoot.node();
        rootPointer = savedRoot.pointer();
        return new SaveResult(snapshot(), saver.written, saver.bytes);
    }

    private void apply(NodeResolver resolver, long a, long b, Extent extent) {
        if (root == null) {
            if (extent != null) {
                root = LeafNode.of(extent);
                rootPointer = null;
                if (extent.location() instanceof Location.Data d) {
                    sink.data(d.segmentSeq(), extent.blockCount());
                }
            }
            return;
        }
        applyAll(resolver, a, b, extent == null ? List.of() : List.of(extent));
    }

    /** Replaces {@code [a, b)} of a non-empty tree with {@code extents} (sorted, disjoint, inside it). */
    private void applyAll(NodeResolver resolver, long a, long b, List<Extent> extents) {
        applyWith(resolver, update -> update.replace(root, a, b, extents));
    }

    /** Makes the root's replacement pieces that {@code change} returns the tree, and delivers its events. */
    private void applyWith(NodeResolver resolver, Function<TreeUpdate, List<IndexNode>> change) {
        PendingEvents events = new PendingEvents(sink, dataSums);
        TreeUpdate update = new TreeUpdate(limits, resolver, events.target());
        List<IndexNode> pieces = change.apply(update);
        if (pieces.size() == 1 && pieces.get(0) == root) {
            return;
        }
        if (rootPointer != null) {
            events.target().nodeDropped(rootPointer);
        }
        IndexNode newRoot = update.grow(pieces);
        NodePointer newPointer = null;
        while (newRoot instanceof InternalNode in && in.entryCount() == 1) {
            newPointer = in.pointer(0);
            newRoot = in.child(0, resolver);
        }
        if (newRoot != null && newRoot.level() >= NodeLimits.MAX_HEIGHT) {
            throw new IllegalStateException("index would grow beyond " + NodeLimits.MAX_HEIGHT + " levels");
        }
        root = newRoot;
        rootPointer = newRoot == null ? null : newPointer;
        events.deliver();
    }

    /**
     * What one mutation tells the sink, held until the mutation has succeeded: a mutation that meets an unloaded
     * node leaves the tree unchanged, so it must leave the counts unchanged too.
     */
    private static final class PendingEvents implements LivenessSink {
        private final LivenessSink sink;
        /** Data counts summed per segment: a leaf rebuild reports every entry it cuts and writes, mostly cancelling. */
        private final LongSums data;
        private final List<Runnable> nodeEvents = new ArrayList<>();

        /** {@code scratch}: where data counts are summed; emptied here (a failed mutation may have left some). */
        PendingEvents(LivenessSink sink, LongSums scratch) {
            this.sink = sink;
            this.data = scratch;
            scratch.clear();
        }

        LivenessSink target() {
            return sink == LivenessSink.NONE ? LivenessSink.NONE : this;
        }

        void deliver() {
            data.forEach(sink::data);
            data.clear();
            nodeEvents.forEach(Runnable::run);
            nodeEvents.clear();
        }

        @Override
        public void data(long segmentSeq, long blocks) {
            data.add(segmentSeq, blocks);
        }

        @Override
        public void nodeDropped(NodePointer pointer) {
            nodeEvents.add(() -> sink.nodeDropped(pointer));
        }

        @Override
        public void subtreeDropped(NodePointer pointer) {
            nodeEvents.add(() -> sink.subtreeDropped(pointer));
        }
    }

    /** Whether block {@code blockNo} of extent {@code x} is where an extent at {@code start} with {@code loc} puts it. */
    private static boolean sameLocationAt(long blockNo, Extent x, long start, Location loc) {
        if (x.location() instanceof Location.Data d) {
            return loc instanceof Location.Data l && l.segmentSeq() == d.segmentSeq()
                    && d.blockOffset() + (blockNo - x.startBlock()) == l.blockOffset() + (blockNo - start);
        }
        return loc.isZero();
    }

    /** Post-order writer of unsaved nodes. */
    private final class Saver {
        private final long segmentSeq;
        private final NodeSink sink;
        private final List<SaveResult.SavedNode> written = new ArrayList<>();
        /** One writer for every node of the save, sized for the largest node (the sink copies what it is given). */
        private final ByteWriter encoder = new ByteWriter(codec.limits().maxNodeBytes());
        private long bytes;

        Saver(long segmentSeq, NodeSink sink) {
            this.segmentSeq = segmentSeq;
            this.sink = sink;
        }

        SaveResult.SavedNode save(IndexNode node) {
            IndexNode toWrite = node;
            if (node instanceof InternalNode in && !in.isSaved()) {
                NodePointer[] childPointers = new NodePointer[in.entryCount()];
                for (int i = 0; i < childPointers.length; i++) {
                    IndexNode child = in.unsavedChild(i);
                    if (child != null) {
                        childPointers[i] = save(child).pointer();
                    }
                }
                toWrite = in.withPointers(childPointers);
            }
            int length = codec.encode(toWrite, encoder);
            long offset = sink.append(ByteBuffer.wrap(encoder.array(), 0, length));
            if (offset < 0 || offset > NodeLimits.MAX_NODE_OFFSET) {
                throw new IllegalStateException("node sink returned an offset out of range. offset=" + offset);
            }
            SaveResult.SavedNode saved = new SaveResult.SavedNode(new NodePointer(segmentSeq, offset, length), toWrite);
            written.add(saved);
            bytes += length;
            return saved;
        }
    }
}
