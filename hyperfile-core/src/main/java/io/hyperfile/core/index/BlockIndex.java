package io.hyperfile.core.index;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * An immutable snapshot of a volume's block index: a copy-on-write B+tree mapping block numbers to {@link Extent}s.
 * Blocks not covered by an extent are holes (never written or trimmed).
 *
 * <p>Thread-safety: immutable; any number of threads may read one snapshot with no locks. Reads take a
 * {@link NodeResolver} because nodes below the root may live only in the store; run them through
 * {@link IndexAccess#run} to load what is missing. Every read is a pure function, so retrying it is safe, except
 * {@link #forEach}, which calls back and is meant for resolvers that never throw.
 *
 * <p>Obtain one with {@link #empty}, {@link #open} (from a checkpoint's root pointer and height) or from
 * {@link MutableBlockIndex#save}/{@link MutableBlockIndex#snapshot}.
 */
public final class BlockIndex {
    private final NodeLimits limits;
    private final IndexNode root;
    private final NodePointer rootPointer;

    BlockIndex(NodeLimits limits, IndexNode root, NodePointer rootPointer) {
        this.limits = limits;
        this.root = root;
        this.rootPointer = rootPointer;
    }

    public static BlockIndex empty(NodeLimits limits) {
        return new BlockIndex(Objects.requireNonNull(limits, "limits"), null, null);
    }

    /**
     * The snapshot whose root is at {@code rootPointer} (null for an empty index) in a tree of {@code height} levels,
     * as recorded in a segment footer.
     *
     * @throws NodeNotLoadedException  if the root is not loaded (retry through {@link IndexAccess#run})
     * @throws NodeCorruptionException if the root's level does not match {@code height}
     */
    public static BlockIndex open(NodeResolver resolver, NodeLimits limits, NodePointer rootPointer, int height) {
        Objects.requireNonNull(limits, "limits");
        if (rootPointer == null) {
            if (height != 0) {
                throw new IllegalArgumentException("an empty index has height 0. height=" + height);
            }
            return empty(limits);
        }
        if (height < 1 || height > NodeLimits.MAX_HEIGHT) {
            throw new IllegalArgumentException("height must be in 1..%d. height=%d".formatted(NodeLimits.MAX_HEIGHT, height));
        }
        IndexNode root = resolver.resolve(rootPointer);
        if (root.level() != height - 1) {
            throw new NodeCorruptionException(rootPointer,
                    "root node has level %d but the checkpoint says height %d".formatted(root.level(), height));
        }
        return new BlockIndex(limits, root, rootPointer);
    }

    public NodeLimits limits() {
        return limits;
    }

    /** Where the root is stored; null for an empty index or one with unsaved changes. */
    public NodePointer rootPointer() {
        return rootPointer;
    }

    /** True when every node is stored (so {@link #rootPointer()} describes the whole snapshot). */
    public boolean isSaved() {
        return root == null || rootPointer != null;
    }

    public boolean isEmpty() {
        return root == null;
    }

    /** Levels in the tree: 0 when empty, 1 for a single leaf. */
    public int height() {
        return root == null ? 0 : root.level() + 1;
    }

    public IndexStats stats() {
        return root == null ? new IndexStats(0, 0, 0, 0)
                : new IndexStats(root.extentCount(), root.mappedBlocks(), root.nodeCount(), height());
    }

    /** The extent containing {@code blockNo}, or null if it is in a hole. */
    public Extent find(NodeResolver resolver, long blockNo) {
        Extent.checkRange(blockNo, 1);
        return root == null ? null : TreeReads.find(root, blockNo, resolver);
    }

    /**
     * The runs covering exactly {@code [startBlock, startBlock + blockCount)} in order: mapped pieces (clipped to the
     * range, locations advanced accordingly) and holes between them. Costs O(height + runs).
     */
    public List<Run> lookup(NodeResolver resolver, long startBlock, long blockCount) {
        Extent.checkRange(startBlock, blockCount);
        return TreeReads.lookup(root, startBlock, startBlock + blockCount, resolver);
    }

    /**
     * A page of up to {@code maxExtents} extents, in order, starting with the one containing or following
     * {@code fromBlock} (not clipped). Continue from the last one's end block. Use this rather than
     * {@link #forEach} to walk a large index through {@link IndexAccess#run}.
     */
    public List<Extent> extents(NodeResolver resolver, long fromBlock, int maxExtents) {
        if (fromBlock < 0) {
            throw new IllegalArgumentException("fromBlock must be non-negative. fromBlock=" + fromBlock);
        }
        if (maxExtents <= 0) {
            throw new IllegalArgumentException("maxExtents must be positive. maxExtents=" + maxExtents);
        }
        return TreeReads.extents(root, fromBlock, maxExtents, resolver);
    }

    /**
     * Calls {@code visitor} for every extent in block order. Not retry-safe (the visitor would see extents
     * twice): use it with a resolver that has every node, or page with {@link #extents} instead.
     */
    public void forEach(NodeResolver resolver, Consumer<Extent> visitor) {
        if (root != null) {
            TreeReads.forEach(root, resolver, visitor);
        }
    }

    /**
     * Pointers of every saved node of this snapshot, the root first (for segment liveness). Loads internal nodes
     * only: leaves are known from their parents.
     */
    public List<NodePointer> nodePointers(NodeResolver resolver) {
        List<NodePointer> out = new ArrayList<>();
        if (rootPointer != null) {
            out.add(rootPointer);
        }
        out.addAll(TreeReads.childPointers(root, resolver));
        return out;
    }

    /**
     * Checks every structural invariant (ordering, merging, key ranges, fill, totals); walks the whole tree.
     *
     * @throws IllegalStateException   naming the first broken invariant
     * @throws NodeCorruptionException if a stored node does not match its parent
     */
    public void verify(NodeResolver resolver) {
        new TreeVerifier(limits, resolver).verify(root);
    }

    /** A mutable copy-on-write tree starting from this snapshot; this snapshot stays as it is. */
    public MutableBlockIndex toMutable() {
        return new MutableBlockIndex(limits, root, rootPointer);
    }

    IndexNode root() {
        return root;
    }

    @Override
    public String toString() {
        return "BlockIndex{root=" + (rootPointer != null ? rootPointer : root == null ? "empty" : "unsaved")
                + ", " + stats() + "}";
    }
}
