package io.hyperfile.core.index;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link IndexDiff#liveness} against a full count of both trees: for random histories of writes, overwrites, zeroes
 * and trims over tiny fanouts (so that splits, merges and root changes both ways happen), the diff of any two
 * checkpoints equals the count of the newer minus the count of the older, and it reads exactly the nodes that are in
 * one tree but not the other (plus a shared lower root). Failures name the seed and the checkpoints.
 */
class IndexDiffTest {
    private static final IntFunction<CompletableFuture<Void>> NO_PACE = n -> CompletableFuture.completedFuture(null);
    private static final long SPACE = 4_000;
    private static final int WINDOWS = 8;

    /** Saved nodes in memory, by pointer; each save goes to its own segment. */
    private static final class Store {
        final NodeLimits limits;
        final NodeCodec codec;
        final Map<NodePointer, byte[]> bytes = new HashMap<>();
        final Map<NodePointer, IndexNode> decoded = new HashMap<>();
        final NodeResolver resolver = this::node;
        int reads;

        Store(NodeLimits limits) {
            this.limits = limits;
            this.codec = new NodeCodec(limits);
        }

        IndexNode node(NodePointer p) {
            return decoded.computeIfAbsent(p, k -> codec.decode(k, ByteBuffer.wrap(bytes.get(k))));
        }

        /** A source that counts its reads and fails for pointers it does not have. */
        CompletableFuture<IndexNode> read(NodePointer p) {
            reads++;
            return bytes.containsKey(p) ? CompletableFuture.completedFuture(node(p))
                    : CompletableFuture.failedFuture(new IllegalStateException("no node at " + p));
        }

        BlockIndex save(MutableBlockIndex m, long seq) {
            long[] next = {0};
            return m.save(seq, buf -> {
                byte[] b = new byte[buf.remaining()];
                buf.get(b);
                bytes.put(new NodePointer(seq, next[0], b.length), b);
                next[0] += b.length;
                return next[0] - b.length;
            }).index();
        }

        /** Every saved node reachable from {@code root}. */
        Set<NodePointer> nodes(NodePointer root) {
            Set<NodePointer> out = new HashSet<>();
            if (root != null) {
                out.add(root);
                if (node(root) instanceof InternalNode in) {
                    for (int i = 0; i < in.entryCount(); i++) {
                        out.addAll(nodes(in.pointer(i)));
                    }
                }
            }
            return out;
        }

        /** The full count: DATA blocks and node bytes per segment reachable from {@code root}. */
        Counts count(NodePointer root) {
            Counts c = new Counts(new HashMap<>(), new HashMap<>());
            for (NodePointer p : nodes(root)) {
                c.nodeBytes.merge(p.segmentSeq(), (long) p.length(), Long::sum);
                if (node(p) instanceof LeafNode leaf) {
                    for (int i = 0; i < leaf.entryCount(); i++) {
                        if (leaf.location(i) instanceof Location.Data d) {
                            c.blocks.merge(d.segmentSeq(), leaf.blockCount(i), Long::sum);
                        }
                    }
                }
            }
            return c;
        }
    }

    private record Counts(Map<Long, Long> blocks, Map<Long, Long> nodeBytes) {
        /** {@code this − older}, zero entries left out. */
        Counts minus(Counts older) {
            return new Counts(minus(blocks, older.blocks), minus(nodeBytes, older.nodeBytes));
        }

        private static Map<Long, Long> minus(Map<Long, Long> a, Map<Long, Long> b) {
            Map<Long, Long> out = new HashMap<>(a);
            b.forEach((k, v) -> out.merge(k, -v, Long::sum));
            out.values().removeIf(v -> v == 0);
            return out;
        }
    }

    private static IndexDiff.Changes diff(Store s, NodePointer from, NodePointer to) {
        return IndexDiff.liveness(s::read, from, to, NO_PACE).join();
    }

    private static void assertChanges(Counts expected, IndexDiff.Changes actual, String what) {
        assertEquals(expected.blocks(), actual.blocks(), what + ": blocks");
        assertEquals(expected.nodeBytes(), actual.nodeBytes(), what + ": node bytes");
    }

    @Test
    void randomHistoriesMatchTheFullCount() {
        int[] heightChanges = new int[2];
        for (long seed = 1; seed <= 120; seed++) {
            randomHistory(seed, heightChanges);
        }
        assertTrue(heightChanges[0] > 0 && heightChanges[1] > 0, "histories must grow and shrink the tree: "
                + heightChanges[0] + " grew, " + heightChanges[1] + " shrank");
    }

    @Test
    void randomSeed(TestReporter reporter) {
        long seed = new Random().nextLong();
        reporter.publishEntry("seed", Long.toString(seed));
        randomHistory(seed, new int[2]);
    }

    /** Builds {@value #WINDOWS} checkpoints of a random history and diffs every ordered pair of them. */
    private static void randomHistory(long seed, int[] heightChanges) {
        Random rnd = new Random(seed);
        Store s = new Store(NodeLimits.ofFanout(4 + rnd.nextInt(2)));
        MutableBlockIndex m = BlockIndex.empty(s.limits).toMutable();
        List<BlockIndex> checkpoints = new ArrayList<>(List.of(m.snapshot()));
        for (int w = 1; w <= WINDOWS; w++) {
            int phase = rnd.nextInt(4); // 0, 1: grow; 2: shrink; 3: anything
            int ops = phase == 2 ? 1 + rnd.nextInt(3) : rnd.nextInt(150); // 0 ops: an unchanged checkpoint
            long offset = 0;
            for (int k = 0; k < ops; k++) {
                int dice = phase < 2 ? rnd.nextInt(60) : phase == 2 ? 90 + rnd.nextInt(10) : rnd.nextInt(100);
                long start = rnd.nextLong(SPACE);
                if (dice < 50) {
                    int n = 1 + rnd.nextInt(8);
                    m.put(s.resolver, start, n, Location.data(w, offset));
                    offset += n + rnd.nextInt(2);
                } else if (dice < 60) {
                    m.put(s.resolver, start, 1 + rnd.nextInt(8), Location.data(1 + rnd.nextInt(w), rnd.nextInt(1_000)));
                } else if (dice < 70) {
                    m.put(s.resolver, start, 1 + rnd.nextInt(16), Location.ZERO);
                } else if (dice < 85) {
                    m.remove(s.resolver, start, 1 + rnd.nextInt(16));
                } else if (dice < 95) {
                    m.remove(s.resolver, start, 1 + rnd.nextLong(SPACE)); // drops whole subtrees
                } else {
                    m.put(s.resolver, start, 1 + rnd.nextLong(SPACE), Location.ZERO);
                }
            }
            checkpoints.add(s.save(m, w));
        }
        List<Counts> full = checkpoints.stream().map(c -> s.count(c.rootPointer())).toList();
        for (int i = 0; i < checkpoints.size(); i++) {
            for (int j = 0; j < checkpoints.size(); j++) {
                NodePointer a = checkpoints.get(i).rootPointer();
                NodePointer b = checkpoints.get(j).rootPointer();
                String what = "seed " + seed + ", checkpoint " + i + " to " + j;
                IndexDiff.Changes c = diff(s, a, b);
                assertChanges(full.get(j).minus(full.get(i)), c, what);
                Set<NodePointer> na = s.nodes(a);
                Set<NodePointer> nb = s.nodes(b);
                long onlyOneSide = na.stream().filter(p -> !nb.contains(p)).count()
                        + nb.stream().filter(p -> !na.contains(p)).count();
                boolean sharedRoot = a != null && !a.equals(b) && nb.contains(a)
                        || b != null && !b.equals(a) && na.contains(b);
                assertEquals(onlyOneSide + (sharedRoot ? 1 : 0), c.nodesRead(), what + ": reads only what differs");
                if (j == i + 1 && a != null && b != null) {
                    int dh = checkpoints.get(j).height() - checkpoints.get(i).height();
                    heightChanges[0] += dh > 0 ? 1 : 0;
                    heightChanges[1] += dh < 0 ? 1 : 0;
                }
            }
        }
    }

    /** A tree of 20 000 two-block extents in segment 1. */
    private static BlockIndex bigTree(Store s) {
        return tree(s, 20_000);
    }

    private static BlockIndex tree(Store s, int extents) {
        MutableBlockIndex m = BlockIndex.empty(s.limits).toMutable();
        for (long i = 0; i < extents; i++) {
            m.put(NodeResolver.NONE, i * 4, 2, Location.data(1, i * 2 + (i % 2)));
        }
        return s.save(m, 1);
    }

    @Test
    void identicalTreesReadNothing() {
        Store s = new Store(NodeLimits.ofFanout(4));
        BlockIndex a = bigTree(s);
        MutableBlockIndex m = a.toMutable();
        m.put(s.resolver, 8, 2, Location.data(1, 4)); // what is already there: nothing to save
        BlockIndex same = s.save(m, 2);
        assertEquals(a.rootPointer(), same.rootPointer());
        IndexDiff.Changes c = IndexDiff.liveness(p -> fail("read " + p), a.rootPointer(), same.rootPointer(),
                n -> fail("paced " + n)).join();
        assertEquals(new IndexDiff.Changes(Map.of(), Map.of(), 0), c);
        assertTrue(c.isEmpty());
        assertEquals(0, s.reads);
    }

    @Test
    void smallChangeOnABigTreeReadsOnlyThePathsToIt() {
        Store s = new Store(NodeLimits.ofFanout(4));
        BlockIndex a = bigTree(s);
        int height = a.height();
        assertTrue(height >= 7, "height " + height);
        MutableBlockIndex m = a.toMutable();
        m.put(s.resolver, 40_000, 2, Location.data(2, 0)); // replaces the extent at 40 000 exactly: no split
        BlockIndex b = s.save(m, 2);
        assertEquals(height, b.height());

        IndexDiff.Changes c = diff(s, a.rootPointer(), b.rootPointer());
        assertEquals(2L * height, c.nodesRead(), "the old path and the new path, nothing else");
        assertEquals(c.nodesRead(), s.reads);
        assertEquals(Map.of(1L, -2L, 2L, 2L), c.blocks());
        assertChanges(s.count(b.rootPointer()).minus(s.count(a.rootPointer())), c, "small change");
        assertTrue(c.nodeBytes().get(2L) > 0 && c.nodeBytes().get(1L) < 0, c.nodeBytes().toString());
    }

    @Test
    void emptyIndexOnEitherSide() {
        Store s = new Store(NodeLimits.ofFanout(4));
        BlockIndex a = bigTree(s);
        Counts full = s.count(a.rootPointer());
        Counts none = new Counts(Map.of(), Map.of());

        IndexDiff.Changes created = diff(s, null, a.rootPointer());
        assertChanges(full, created, "from empty");
        assertEquals(a.stats().nodeCount(), created.nodesRead());
        IndexDiff.Changes deleted = diff(s, a.rootPointer(), null);
        assertChanges(none.minus(full), deleted, "to empty");
        assertEquals(a.stats().nodeCount(), deleted.nodesRead());
        assertEquals(new IndexDiff.Changes(Map.of(), Map.of(), 0), diff(s, null, null));
    }

    @Test
    void rootCollapseOntoASubtreeOfTheOldRootReadsOnlyTheDroppedPart() {
        Store s = new Store(NodeLimits.ofFanout(4));
        BlockIndex a = bigTree(s);
        InternalNode oldRoot = (InternalNode) s.node(a.rootPointer());
        MutableBlockIndex m = a.toMutable();
        m.remove(s.resolver, oldRoot.key(1), NodeLimits.MAX_BLOCKS - oldRoot.key(1));
        BlockIndex b = s.save(m, 2);
        assertEquals(oldRoot.pointer(0), b.rootPointer(), "the new root is the old root's first child, unchanged");
        assertEquals(a.height() - 1, b.height());

        for (boolean forward : new boolean[] {true, false}) {
            NodePointer from = forward ? a.rootPointer() : b.rootPointer();
            NodePointer to = forward ? b.rootPointer() : a.rootPointer();
            s.reads = 0;
            IndexDiff.Changes c = diff(s, from, to);
            assertChanges(s.count(to).minus(s.count(from)), c, forward ? "collapse" : "growth");
            // both roots, then the old root's other children's subtrees; the new root is not read a second time
            assertEquals(2 + oldRoot.nodeCount() - 1 - oldRoot.childNodeCount(0), c.nodesRead());
            assertEquals(c.nodesRead(), s.reads);
            assertFalse(c.blocks().containsKey(2L));
        }
    }

    @Test
    void failedReadFailsTheDiff() {
        Store s = new Store(NodeLimits.ofFanout(4));
        BlockIndex a = bigTree(s);
        MutableBlockIndex m = a.toMutable();
        m.put(s.resolver, 40_000, 2, Location.data(2, 0));
        BlockIndex b = s.save(m, 2);
        NodePointer newLeaf = s.bytes.keySet().stream().filter(p -> p.segmentSeq() == 2 && s.node(p).isLeaf())
                .findFirst().orElseThrow();

        RuntimeException boom = new IllegalStateException("store unavailable");
        CompletionException e = assertThrows(CompletionException.class, () -> IndexDiff.liveness(
                p -> p.equals(newLeaf) ? CompletableFuture.failedFuture(boom) : s.read(p), a.rootPointer(),
                b.rootPointer(), NO_PACE).join());
        assertSame(boom, e.getCause());

        e = assertThrows(CompletionException.class, () -> IndexDiff.liveness(p -> {
            if (p.equals(newLeaf)) {
                throw boom;
            }
            return s.read(p);
        }, a.rootPointer(), b.rootPointer(), NO_PACE).join());
        assertSame(boom, e.getCause());

        NodePointer otherLeaf = s.bytes.keySet().stream().filter(p -> p.segmentSeq() == 1 && s.node(p).isLeaf())
                .findFirst().orElseThrow();
        e = assertThrows(CompletionException.class, () -> IndexDiff.liveness(
                p -> s.read(p.equals(newLeaf) ? otherLeaf : p), a.rootPointer(), b.rootPointer(), NO_PACE).join());
        NodeCorruptionException corrupt = assertInstanceOf(NodeCorruptionException.class, e.getCause());
        assertEquals(newLeaf, corrupt.pointer());
        assertTrue(corrupt.getMessage().contains("does not match its parent entry"), corrupt.getMessage());
    }

    @Test
    void pacerIsAskedForEveryBatchBeforeItsReads() {
        Store s = new Store(NodeLimits.ofFanout(4));
        BlockIndex a = tree(s, 1_000);
        List<Integer> expected = new ArrayList<>(List.of(1)); // the root, then each level in batches of at most 32
        List<NodePointer> level = List.of(a.rootPointer());
        while (s.node(level.get(0)) instanceof InternalNode) {
            List<NodePointer> below = new ArrayList<>();
            for (NodePointer p : level) {
                InternalNode in = (InternalNode) s.node(p);
                for (int i = 0; i < in.entryCount(); i++) {
                    below.add(in.pointer(i));
                }
            }
            for (int left = below.size(); left > 0; left -= 32) {
                expected.add(Math.min(32, left));
            }
            level = below;
        }

        List<Integer> asked = new ArrayList<>();
        List<CompletableFuture<Void>> gates = new ArrayList<>();
        CompletableFuture<IndexDiff.Changes> diff = IndexDiff.liveness(s::read, null, a.rootPointer(), n -> {
            asked.add(n);
            CompletableFuture<Void> gate = new CompletableFuture<>();
            gates.add(gate);
            return gate;
        });
        int released = 0;
        while (!diff.isDone()) {
            assertEquals(released + 1, gates.size(), "one batch waits for the pacer at a time");
            assertEquals(asked.subList(0, released).stream().mapToInt(Integer::intValue).sum(), s.reads,
                    "no read before the pacer lets its batch go");
            gates.get(released++).complete(null);
        }
        assertEquals(expected, asked);
        assertEquals(a.stats().nodeCount(), diff.join().nodesRead());
        assertEquals(s.reads, diff.join().nodesRead());
        assertNotEquals(1, expected.size());
    }
}
