package io.hyperfile.core.index;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * The change in what an index reaches between two saved trees (two checkpoints' roots): per segment, the DATA blocks
 * and the node bytes that became reachable or unreachable. This is what brings a live table made at an older
 * checkpoint up to a newer one (docs/GC.md, "Incremental liveness").
 *
 * <p>Saved nodes are immutable and a pointer names one node forever, so a pointer found in both trees roots the same
 * subtree in both, which then counts the same on both sides and is not read. A node's level is intrinsic (0 for a
 * leaf), so a shared subtree shows up at the same level on both sides, whatever the heights of the two trees. The
 * diff therefore goes level by level from the higher root down: at each level it drops the pointers both sides have,
 * reads the others, counts each node read (−/+ its pointer's length against its segment, and for a leaf −/+ the
 * block count of each DATA extent against the extent's segment) and collects their children for the next level.
 * Extents that are unchanged inside a changed leaf appear on both sides and cancel out.
 *
 * <p>The same walk also gives {@link #changedRuns}: the block ranges whose mapping differs (changed-block diffs,
 * docs/DIFF.md), from the extents of the leaves only one tree has ({@link LeafCollector}). Both are a
 * {@link Visitor} over the nodes in one tree only.
 *
 * <p>Cost: one read per node that is in one tree but not the other, plus the lower root when the other tree shares
 * it (a root's level is only known once it is read): for a few changed ranges about {@code height} nodes per range
 * and side; for a range replacement that dropped whole subtrees, every node of those subtrees. The nodes of a level
 * are read in batches of at most {@value #MAX_PARALLEL_READS} in parallel, one batch at a time, each after the pacer's
 * future. Memory: one batch of nodes and the pointers (with parent entries) of the current and next level. The
 * result is exact whether or not sharing is found; sharing only saves reads.
 *
 * <p>Stateless and thread-safe. One diff's state is confined to its chain of futures: each step runs after the
 * previous one completed, on whichever thread completed it.
 */
public final class IndexDiff {
    /** Reads issued at a time, as in the full walk of space accounting. */
    public static final int MAX_PARALLEL_READS = 32;

    /** Reads one saved node (from the store through {@link NodeCodec}, or a cache). */
    @FunctionalInterface
    public interface NodeSource {
        /** The node at {@code pointer}; fails (or throws) for a missing, unreadable or corrupt node. */
        CompletableFuture<IndexNode> read(NodePointer pointer);
    }

    /**
     * Per-segment changes from one tree to another. {@code blocks}: DATA blocks that became reachable (+) or
     * unreachable (−), per segment of the data; {@code nodeBytes}: node bytes that did, per segment storing the nodes
     * (a node counts its pointer's length); segments whose change is zero are left out. {@code nodesRead}: the nodes
     * read to find this out (the cost). Immutable.
     */
    public record Changes(Map<Long, Long> blocks, Map<Long, Long> nodeBytes, long nodesRead) {
        public Changes {
            blocks = Map.copyOf(blocks);
            nodeBytes = Map.copyOf(nodeBytes);
        }

        /** True when both trees reach the same blocks and node bytes of every segment. */
        public boolean isEmpty() {
            return blocks.isEmpty() && nodeBytes.isEmpty();
        }
    }

    private IndexDiff() {
    }

    /**
     * The changes from the tree rooted at {@code from} to the tree rooted at {@code to}; either may be null (an
     * empty index). {@code pacer} is called with the number of reads of each batch before the batch goes out (a
     * rate limit; return a completed future for none). The future fails with a read's failure (the first batch that has
     * one ends the diff), a {@link NodeCorruptionException} if a node does not match its parent's entry for it, or
     * the pacer's failure; the caller then falls back to a full walk.
     */
    public static CompletableFuture<Changes> liveness(NodeSource source, NodePointer from, NodePointer to,
            IntFunction<CompletableFuture<Void>> pacer) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(pacer, "pacer");
        LivenessCount count = new LivenessCount();
        return new Diff(source, pacer, count).run(from, to).thenApply(nodesRead -> count.changes(nodesRead));
    }

    /**
     * The block ranges whose mapping differs between the tree rooted at {@code from} and the one rooted at
     * {@code to} (either may be null: an empty index), merged into runs; see {@link ChangedRuns}. Reads only the
     * nodes that are in one tree and not the other, as {@link #liveness} does; fails as it does.
     */
    public static CompletableFuture<ChangedRuns> changedRuns(NodeSource source, NodePointer from, NodePointer to,
            IntFunction<CompletableFuture<Void>> pacer) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(pacer, "pacer");
        LeafCollector leaves = new LeafCollector();
        return new Diff(source, pacer, leaves).run(from, to).thenApply(leaves::runs);
    }

    /** What the walk reports: each node that is in one tree only, once, with its side (0: from, 1: to). */
    interface Visitor {
        void node(int side, NodePointer pointer, IndexNode node);
    }

    /** Counts the liveness changes of the nodes visited. */
    private static final class LivenessCount implements Visitor {
        private final Map<Long, Long> blocks = new HashMap<>();
        private final Map<Long, Long> nodeBytes = new HashMap<>();

        @Override
        public void node(int side, NodePointer pointer, IndexNode node) {
            long sign = side == 0 ? -1 : 1;
            nodeBytes.merge(pointer.segmentSeq(), sign * pointer.length(), Long::sum);
            if (node instanceof LeafNode leaf) {
                for (int i = 0; i < leaf.entryCount(); i++) {
                    if (leaf.seq(i) != LeafNode.ZERO_SEQ) {
                        blocks.merge(leaf.seq(i), sign * leaf.blockCount(i), Long::sum);
                    }
                }
            }
        }

        Changes changes(long nodesRead) {
            return new Changes(nonZero(blocks), nonZero(nodeBytes), nodesRead);
        }
    }

    /** One diff; see the class comment for its confinement. */
    private static final class Diff {
        private final NodeSource source;
        private final IntFunction<CompletableFuture<Void>> pacer;
        private final Visitor visitor;
        /** Per side (0: from, counted −; 1: to, +): level → pointer to expand → its parent entry (null: root). */
        private final List<TreeMap<Integer, Map<NodePointer, ChildRef>>> pending =
                List.of(new TreeMap<>(), new TreeMap<>());
        /** Nodes read and not expanded yet (the roots are read before their level is known). */
        private final Map<NodePointer, IndexNode> loaded = new HashMap<>();
        private long nodesRead;

        Diff(NodeSource source, IntFunction<CompletableFuture<Void>> pacer, Visitor visitor) {
            this.source = source;
            this.pacer = pacer;
            this.visitor = visitor;
        }

        /** Visits every node in one tree only; completes with the number of nodes read. */
        CompletableFuture<Long> run(NodePointer from, NodePointer to) {
            if (Objects.equals(from, to)) {
                return CompletableFuture.completedFuture(0L);
            }
            List<NodePointer> roots = new ArrayList<>();
            if (from != null) {
                roots.add(from);
            }
            if (to != null) {
                roots.add(to);
            }
            return CompletableFuture.completedFuture(null).thenCompose(v -> read(roots)).thenCompose(v -> {
                if (from != null) {
                    level(0, loaded.get(from).level()).put(from, null);
                }
                if (to != null) {
                    level(1, loaded.get(to).level()).put(to, null);
                }
                return nextLevel();
            });
        }

        /** Expands the highest level either side has left, then the ones below, down to the leaves. */
        private CompletableFuture<Long> nextLevel() {
            int level = Math.max(top(pending.get(0)), top(pending.get(1)));
            if (level < 0) {
                return CompletableFuture.completedFuture(nodesRead);
            }
            Map<NodePointer, ChildRef> removed = level(0, level);
            Map<NodePointer, ChildRef> added = level(1, level);
            pending.get(0).remove(level);
            pending.get(1).remove(level);
            for (NodePointer p : List.copyOf(removed.keySet())) {
                if (added.containsKey(p)) { // the same subtree on both sides: it changes nothing
                    removed.remove(p);
                    added.remove(p);
                    loaded.remove(p);
                }
            }
            List<Item> items = new ArrayList<>(removed.size() + added.size());
            removed.forEach((p, parentEntry) -> items.add(new Item(p, parentEntry, 0)));
            added.forEach((p, parentEntry) -> items.add(new Item(p, parentEntry, 1)));
            CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
            for (int from = 0; from < items.size(); from += MAX_PARALLEL_READS) {
                List<Item> batch = items.subList(from, Math.min(items.size(), from + MAX_PARALLEL_READS));
                List<NodePointer> toRead = batch.stream().map(Item::pointer).filter(p -> !loaded.containsKey(p))
                        .toList(); // all of them but a root (read first)
                chain = chain.thenCompose(v -> read(toRead)).thenRun(() -> batch.forEach(item -> expand(level, item)));
            }
            return chain.thenCompose(v -> nextLevel());
        }

        /** Visits a node read for {@code level} and queues its children. */
        private void expand(int level, Item item) {
            NodePointer pointer = item.pointer();
            IndexNode node = loaded.remove(pointer);
            if (item.parentEntry() != null) {
                InternalNode.checkChild(item.parentEntry(), level, node);
            }
            visitor.node(item.side(), pointer, node);
            if (node instanceof InternalNode in) {
                if (!in.isSaved()) {
                    throw new IllegalArgumentException("the node source returned an unsaved node for " + pointer);
                }
                Map<NodePointer, ChildRef> below = level(item.side(), level - 1);
                for (int i = 0; i < in.entryCount(); i++) {
                    below.put(in.pointer(i), in.ref(i));
                }
            }
        }

        private Map<NodePointer, ChildRef> level(int side, int level) {
            return pending.get(side).computeIfAbsent(level, l -> new LinkedHashMap<>());
        }

        private static int top(TreeMap<Integer, ?> levels) {
            return levels.isEmpty() ? -1 : levels.lastKey();
        }

        /** Reads one batch into {@link #loaded}: nothing if it is empty, else after the pacer lets it go. */
        private CompletableFuture<Void> read(List<NodePointer> batch) {
            if (batch.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            return pacer.apply(batch.size()).thenCompose(v -> {
                nodesRead += batch.size();
                List<CompletableFuture<IndexNode>> reads = batch.stream().map(this::readOne).toList();
                return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenRun(() -> {
                    for (int i = 0; i < batch.size(); i++) {
                        NodePointer p = batch.get(i);
                        loaded.put(p, Objects.requireNonNull(reads.get(i).join(), () -> "no node read for " + p));
                    }
                });
            });
        }

        private CompletableFuture<IndexNode> readOne(NodePointer pointer) {
            try {
                return Objects.requireNonNull(source.read(pointer), "the node source returned no future");
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        /** A node to expand: its pointer, its parent's entry for it (null for a root), its side (0 from, 1 to). */
        private record Item(NodePointer pointer, ChildRef parentEntry, int side) {
        }
    }

    private static Map<Long, Long> nonZero(Map<Long, Long> counts) {
        Map<Long, Long> out = new HashMap<>();
        counts.forEach((segment, n) -> {
            if (n != 0) {
                out.put(segment, n);
            }
        });
        return out;
    }
}
