package io.hyperfile.core.index;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random put/remove/lookup/save/reopen sequences against a plain model (H2 {@code TestRandomMapOps} style). The
 * model is a map of breakpoints, block -> value until the next breakpoint, where a data value is normalized to
 * (segment, blockOffset - block) so that "contiguous" is plain equality; it is canonical, so the tree's extent list
 * must equal the model's maximal runs exactly (which also checks that neighbours are always merged). Tiny fanouts
 * make every split, merge and root change happen. Failures name the seed and the operation number.
 */
class BlockIndexModelTest {
    private static final int OPS = 2500;
    private static final long SMALL_WINDOW = 3000;
    private static final long BIG_WINDOW = 4L << 20;
    private static final long MIB_BLOCKS = 1L << 20;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 17, 42, 4711, 20240601})
    void fixedSeeds(long seed) {
        new Harness(seed).run(OPS);
    }

    @Test
    void randomSeed(TestReporter reporter) {
        long seed = new Random().nextLong();
        reporter.publishEntry("seed", Long.toString(seed));
        new Harness(seed).run(OPS);
    }

    /** One randomized run: the configuration (fanout, cache size, fetch timing) also comes from the seed. */
    private static final class Harness {
        private final long seed;
        private final Random rnd;
        /** Whether an operation runs with a {@link Prefetch}: its own stream, so the operations stay as they were. */
        private final Random prefetchRnd;
        private final NodeLimits limits;
        private final NodeCodec codec;
        private final long cacheBytes;
        private final boolean deferredFetches;
        private final Map<NodePointer, byte[]> stored = new HashMap<>();
        private final Map<NodePointer, IndexNode> decoded = new HashMap<>();
        private final ArrayDeque<Runnable> pendingFetches = new ArrayDeque<>();
        private final NodeResolver direct = this::decodeDirect;
        private final Model model = new Model();
        private final Liveness live = new Liveness();
        private IndexAccess access;
        private MutableBlockIndex mutable;
        private BlockIndex previous;
        private Model previousModel;
        private long segmentSeq = 1;
        /** Segments of {@link #putAll} batches: far above the ones {@link #putData} uses, each used once. */
        private long batchSeq = 1L << 30;
        private long dataOffset;
        private long lastEnd = -1;
        private Location lastNext;
        private String op = "start";

        Harness(long seed) {
            this.seed = seed;
            this.rnd = new Random(seed);
            this.prefetchRnd = new Random(~seed);
            this.limits = NodeLimits.ofFanout(4 + rnd.nextInt(2));
            this.codec = new NodeCodec(limits);
            this.cacheBytes = rnd.nextBoolean() ? 3_000 : 1L << 30;
            this.deferredFetches = rnd.nextBoolean();
            this.access = newAccess();
            this.mutable = BlockIndex.empty(limits).toMutable();
            mutable.trackLiveness(live);
        }

        /** Decodes straight from the stored bytes, bypassing IndexAccess: the reference reader for checks. */
        private IndexNode decodeDirect(NodePointer p) {
            return decoded.computeIfAbsent(p, k -> codec.decode(k, ByteBuffer.wrap(stored.get(k))));
        }

        private IndexAccess newAccess() {
            return new IndexAccess(codec, new NodeCache(cacheBytes), this::fetch, Runnable::run);
        }

        private CompletableFuture<ByteBuffer> fetch(NodePointer p) {
            byte[] bytes = stored.get(p);
            if (bytes == null) {
                return CompletableFuture.failedFuture(new IllegalStateException("no node at " + p));
            }
            if (!deferredFetches) {
                return CompletableFuture.completedFuture(ByteBuffer.wrap(bytes.clone()));
            }
            CompletableFuture<ByteBuffer> f = new CompletableFuture<>();
            pendingFetches.add(() -> f.complete(ByteBuffer.wrap(bytes.clone())));
            return f;
        }

        /** Runs {@code fn} through IndexAccess, completing deferred fetches on this thread until it is done. */
        private <T> T call(Function<NodeResolver, T> fn) {
            return call(null, fn);
        }

        /** As {@link #call(Function)}, with {@code prefetch} half of the time if there is one. */
        private <T> T call(Prefetch prefetch, Function<NodeResolver, T> fn) {
            CompletableFuture<T> f = prefetch != null && prefetchRnd.nextBoolean() ? access.run(prefetch, fn)
                    : access.run(fn);
            while (!f.isDone()) {
                Runnable next = pendingFetches.poll();
                assertNotNull(next, "operation stalled with no fetch pending");
                next.run();
            }
            return f.join();
        }

        void run(int ops) {
            for (int i = 0; i < ops; i++) {
                try {
                    step();
                    check();
                } catch (Throwable t) {
                    throw new AssertionError("seed=%d op=%d (%s), fanout=%d, cacheBytes=%d, deferred=%s: %s"
                            .formatted(seed, i, op, limits.maxLeafEntries(), cacheBytes, deferredFetches, t), t);
                }
            }
        }

        private void step() {
            int dice = rnd.nextInt(100);
            if (dice < 26) {
                long start = rnd.nextLong(SMALL_WINDOW);
                putData(start, 1 + rnd.nextInt(16), newData());
            } else if (dice < 38) {
                if (lastEnd < 0 || lastEnd >= NodeLimits.MAX_BLOCKS - 64) {
                    putData(rnd.nextLong(SMALL_WINDOW), 1 + rnd.nextInt(8), newData());
                } else {
                    putData(lastEnd, 1 + rnd.nextInt(8), lastNext);
                }
            } else if (dice < 43) {
                putData(rnd.nextLong(SMALL_WINDOW), 1 + rnd.nextInt(16),
                        Location.data(rnd.nextLong(segmentSeq + 1), rnd.nextLong(1000)));
            } else if (dice < 53) {
                putData(rnd.nextLong(SMALL_WINDOW), 1 + rnd.nextInt(16), Location.ZERO);
            } else if (dice < 56) {
                putData(rnd.nextLong(BIG_WINDOW), 1 + rnd.nextLong(MIB_BLOCKS), Location.ZERO);
            } else if (dice < 70) {
                remove(rnd.nextLong(SMALL_WINDOW), 1 + rnd.nextInt(24));
            } else if (dice < 73) {
                remove(rnd.nextLong(BIG_WINDOW), 1 + rnd.nextLong(MIB_BLOCKS));
            } else if (dice < 75) {
                long count = 1 + rnd.nextLong(MIB_BLOCKS);
                putData(rnd.nextLong(BIG_WINDOW), count, newData(count));
            } else if (dice < 80) {
                putAll();
            } else if (dice < 85) {
                op = "lookups";
                for (int k = 0; k < 4; k++) {
                    checkLookup(mutable.snapshot(), model);
                }
                if (previous != null) {
                    checkLookup(previous, previousModel);
                }
            } else if (dice < 93) {
                save();
            } else if (dice < 96) {
                reopen();
            } else {
                op = "pages";
                checkPages(mutable.snapshot(), model, 1 + rnd.nextInt(7));
            }
        }

        private Location newData() {
            return newData(1 + rnd.nextInt(16));
        }

        private Location newData(long count) {
            if (dataOffset + count > NodeLimits.MAX_BLOCK_OFFSET) {
                dataOffset = 0;
            }
            Location loc = Location.data(segmentSeq, dataOffset);
            dataOffset += count;
            return loc;
        }

        private void putData(long start, long count, Location loc) {
            long c = Math.min(count, NodeLimits.MAX_BLOCKS - start);
            if (loc instanceof Location.Data d && d.blockOffset() + c > NodeLimits.MAX_BLOCK_OFFSET) {
                c = NodeLimits.MAX_BLOCK_OFFSET - d.blockOffset();
            }
            long n = c;
            op = "put(" + start + ", " + n + ", " + loc + ")";
            call(updating(start, n), r -> {
                mutable.put(r, start, n, loc);
                return null;
            });
            model.set(start, start + n, Model.value(start, loc));
            lastEnd = start + n;
            lastNext = loc.advance(n);
            if (lastNext instanceof Location.Data d && d.blockOffset() + 8 > NodeLimits.MAX_BLOCK_OFFSET) {
                lastEnd = -1;
            }
        }

        /** A flush window's data runs in a segment nothing points into yet: sorted, disjoint, never mergeable. */
        private void putAll() {
            long seq = batchSeq++;
            List<Extent> batch = new ArrayList<>();
            long at = rnd.nextLong(SMALL_WINDOW / 4);
            long offset = 0;
            int n = 1 + rnd.nextInt(40);
            for (int k = 0; k < n && at < SMALL_WINDOW * 2; k++) {
                long count = 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 30 : 3);
                batch.add(new Extent(at, count, Location.data(seq, offset)));
                offset += count + 1; // a gap in the segment: never continues the previous run
                at += count + rnd.nextInt(rnd.nextBoolean() ? 3 : 120);
            }
            op = "putAll(" + batch + ")";
            call(Prefetch.forUpdate(mutable.snapshot(), batch, Extent::startBlock, Extent::blockCount), r -> {
                mutable.putAll(r, batch);
                return null;
            });
            for (Extent e : batch) {
                model.set(e.startBlock(), e.endBlock(), Model.value(e.startBlock(), e.location()));
            }
            lastEnd = -1;
        }

        private void remove(long start, long count) {
            long n = Math.min(count, NodeLimits.MAX_BLOCKS - start);
            op = "remove(" + start + ", " + n + ")";
            call(updating(start, n), r -> {
                mutable.remove(r, start, n);
                return null;
            });
            model.set(start, start + n, Model.HOLE);
        }

        private Prefetch updating(long start, long count) {
            return Prefetch.forUpdate(mutable.snapshot(), List.of(new long[] {start, count}), r -> r[0], r -> r[1]);
        }

        private void save() {
            op = "save(" + segmentSeq + ")";
            int unsaved = countUnsaved(mutable);
            Map<Long, Long> nodeOffsets = new HashMap<>();
            SaveResult result = access.save(mutable, segmentSeq, buf -> {
                byte[] bytes = new byte[buf.remaining()];
                buf.get(bytes);
                long offset = nodeOffsets.merge(segmentSeq, (long) bytes.length, Long::sum) - bytes.length;
                stored.put(new NodePointer(segmentSeq, offset, bytes.length), bytes);
                return offset;
            });
            assertEquals(unsaved, result.nodesWritten(), "save must write exactly the unsaved nodes");
            for (SaveResult.SavedNode n : result.writtenNodes()) {
                live.nodes.merge(n.pointer().segmentSeq(), (long) n.pointer().length(), Long::sum);
            }
            assertTrue(result.index().isSaved());
            assertEquals(0, countUnsaved(mutable));
            if (previous != null) {
                checkAll(previous, previousModel);
            }
            previous = result.index();
            previousModel = model.copy();
            segmentSeq++;
            dataOffset = 0;
            lastEnd = -1;
        }

        private void reopen() {
            save();
            op = "reopen";
            NodePointer root = previous.rootPointer();
            int height = previous.height();
            decoded.clear();
            pendingFetches.clear();
            access = newAccess();
            BlockIndex reopened = call(r -> BlockIndex.open(r, limits, root, height));
            mutable = reopened.toMutable();
            mutable.trackLiveness(live);
            previous = reopened;
            assertEquals(model.extents(), readAllPaged(reopened, 1 + rnd.nextInt(50)));
        }

        private void check() {
            BlockIndex snap = mutable.snapshot();
            checkAll(snap, model);
            checkLookup(snap, model);
            checkLiveness(snap);
        }

        /**
         * The sink's running counts, once the dropped subtrees are walked, equal a count over the whole tree: per
         * segment, the data blocks its extents reference and the bytes of its saved nodes the tree reaches.
         */
        private void checkLiveness(BlockIndex snap) {
            for (NodePointer p : live.pending) {
                subtractSubtree(p);
            }
            live.pending.clear();
            Map<Long, Long> data = new HashMap<>();
            Map<Long, Long> nodes = new HashMap<>();
            if (snap.root() != null) {
                if (snap.rootPointer() != null) {
                    nodes.merge(snap.rootPointer().segmentSeq(), (long) snap.rootPointer().length(), Long::sum);
                }
                countTree(snap.root(), data, nodes);
            }
            assertEquals(data, nonZero(live.data), "data blocks per segment");
            assertEquals(nodes, nonZero(live.nodes), "node bytes per segment");
        }

        private void countTree(IndexNode node, Map<Long, Long> data, Map<Long, Long> nodes) {
            if (node instanceof LeafNode leaf) {
                for (int i = 0; i < leaf.entryCount(); i++) {
                    if (leaf.seq(i) != LeafNode.ZERO_SEQ) {
                        data.merge(leaf.seq(i), leaf.blockCount(i), Long::sum);
                    }
                }
                return;
            }
            InternalNode in = (InternalNode) node;
            for (int i = 0; i < in.entryCount(); i++) {
                NodePointer p = in.pointer(i);
                if (p != null) {
                    nodes.merge(p.segmentSeq(), (long) p.length(), Long::sum);
                    countTree(direct.resolve(p), data, nodes);
                } else {
                    countTree(in.unsavedChild(i), data, nodes);
                }
            }
        }

        private void subtractSubtree(NodePointer p) {
            live.nodes.merge(p.segmentSeq(), (long) -p.length(), Long::sum);
            IndexNode node = direct.resolve(p);
            if (node instanceof LeafNode leaf) {
                for (int i = 0; i < leaf.entryCount(); i++) {
                    if (leaf.seq(i) != LeafNode.ZERO_SEQ) {
                        live.data.merge(leaf.seq(i), -leaf.blockCount(i), Long::sum);
                    }
                }
            } else {
                InternalNode in = (InternalNode) node;
                for (int i = 0; i < in.entryCount(); i++) {
                    subtractSubtree(in.pointer(i));
                }
            }
        }

        private static Map<Long, Long> nonZero(Map<Long, Long> counts) {
            Map<Long, Long> out = new HashMap<>();
            counts.forEach((k, v) -> {
                if (v != 0) {
                    out.put(k, v);
                }
            });
            return out;
        }

        private void checkAll(BlockIndex snap, Model expected) {
            List<Extent> actual = new ArrayList<>();
            snap.forEach(direct, actual::add);
            List<Extent> want = expected.extents();
            assertEquals(want, actual);
            IndexStats stats = snap.stats();
            assertEquals(want.size(), stats.extentCount());
            assertEquals(expected.mappedBlocks(), stats.mappedBlocks());
            snap.verify(direct);
        }

        private void checkLookup(BlockIndex snap, Model expected) {
            long start;
            long count;
            switch (rnd.nextInt(3)) {
                case 0 -> {
                    start = rnd.nextLong(SMALL_WINDOW + 100);
                    count = 1 + rnd.nextInt(64);
                }
                case 1 -> {
                    start = rnd.nextLong(SMALL_WINDOW);
                    count = 1 + rnd.nextLong(SMALL_WINDOW);
                }
                default -> {
                    start = rnd.nextLong(BIG_WINDOW);
                    count = 1 + rnd.nextLong(2 * MIB_BLOCKS);
                }
            }
            List<Run> runs = call(Prefetch.forRead(snap, new long[] {start}, new long[] {start + count}),
                    r -> snap.lookup(r, start, count));
            assertEquals(expected.lookup(start, start + count), runs, "lookup(" + start + ", " + count + ")");
            Extent found = call(r -> snap.find(r, start));
            Extent want = expected.extentAt(start);
            assertEquals(want, found, "find(" + start + ")");
        }

        private void checkPages(BlockIndex snap, Model expected, int pageSize) {
            assertEquals(expected.extents(), readAllPaged(snap, pageSize));
        }

        private List<Extent> readAllPaged(BlockIndex snap, int pageSize) {
            List<Extent> all = new ArrayList<>();
            long from = 0;
            while (true) {
                long f = from;
                List<Extent> page = call(r -> snap.extents(r, f, pageSize));
                assertTrue(page.size() <= pageSize);
                all.addAll(page);
                if (page.size() < pageSize) {
                    return all;
                }
                from = page.get(page.size() - 1).endBlock();
            }
        }

        private static int countUnsaved(MutableBlockIndex m) {
            return m.isDirty() ? countUnsaved(m.snapshot().root()) : 0;
        }

        private static int countUnsaved(IndexNode node) {
            int n = 1;
            if (node instanceof InternalNode in) {
                for (int i = 0; i < in.entryCount(); i++) {
                    if (in.unsavedChild(i) != null) {
                        n += countUnsaved(in.unsavedChild(i));
                    }
                }
            }
            return n;
        }
    }

    @Test
    void sequentialWritesMergeIntoOneExtentPerSegment() {
        NodeLimits limits = NodeLimits.ofFanout(4);
        MutableBlockIndex m = BlockIndex.empty(limits).toMutable();
        Random rnd = new Random(5);
        long block = 1000;
        long offset = 0;
        while (block < 50_000) {
            int n = 1 + rnd.nextInt(32);
            m.put(NodeResolver.NONE, block, n, Location.data(7, offset));
            block += n;
            offset += n;
        }
        assertEquals(new IndexStats(1, 49_000 + (block - 50_000), 1, 1), m.snapshot().stats());
        m.put(NodeResolver.NONE, block, 10, Location.data(8, 0));
        assertEquals(2, m.snapshot().stats().extentCount());

        MutableBlockIndex backwards = BlockIndex.empty(limits).toMutable();
        for (long b = 9_999; b >= 0; b--) {
            backwards.put(NodeResolver.NONE, b, 1, Location.data(3, 500 + b));
        }
        assertEquals(List.of(new Extent(0, 10_000, Location.data(3, 500))),
                backwards.snapshot().extents(NodeResolver.NONE, 0, 10));

        MutableBlockIndex zeros = BlockIndex.empty(limits).toMutable();
        for (long b = 0; b < 4_000; b += 2) {
            zeros.put(NodeResolver.NONE, b, 1, Location.ZERO);
        }
        assertEquals(2_000, zeros.snapshot().stats().extentCount());
        assertTrue(zeros.snapshot().height() > 3);
        for (long b = 1; b < 4_000; b += 2) {
            zeros.put(NodeResolver.NONE, b, 1, Location.ZERO);
        }
        assertEquals(new IndexStats(1, 4_000, 1, 1), zeros.snapshot().stats());
    }

    @Test
    void hugeTrimAndZeroTouchOnlyTheEdgesOfTheTree() {
        NodeLimits limits = NodeLimits.ofFanout(4);
        MutableBlockIndex m = BlockIndex.empty(limits).toMutable();
        int extents = 60_000;
        for (long i = 0; i < extents; i++) {
            m.put(NodeResolver.NONE, i * 100, 10, Location.data(1, i * 10));
        }
        Map<NodePointer, byte[]> stored = new HashMap<>();
        NodeCodec codec = new NodeCodec(limits);
        long[] next = {0};
        BlockIndex saved = m.save(1, buf -> {
            byte[] bytes = new byte[buf.remaining()];
            buf.get(bytes);
            stored.put(new NodePointer(1, next[0], bytes.length), bytes);
            next[0] += bytes.length;
            return next[0] - bytes.length;
        }).index();
        int height = saved.height();
        assertTrue(height >= 8, "height " + height);
        int[] resolved = {0};
        NodeResolver counting = p -> {
            resolved[0]++;
            return codec.decode(p, ByteBuffer.wrap(stored.get(p)));
        };

        MutableBlockIndex trim = saved.toMutable();
        trim.remove(counting, 5, 4L << 20);
        assertTrue(resolved[0] <= 5 * height, "a 4M-block trim loaded " + resolved[0] + " nodes, height " + height);
        long end = 5 + (4L << 20);
        List<Extent> firstThree = trim.snapshot().extents(counting, 0, 3);
        assertEquals(List.of(new Extent(0, 5, Location.data(1, 0)),
                new Extent(end, 1, Location.data(1, (end / 100) * 10 + end % 100)),
                new Extent((end / 100 + 1) * 100, 10, Location.data(1, (end / 100 + 1) * 10))), firstThree);
        assertEquals(2 + extents - (end / 100 + 1), trim.snapshot().stats().extentCount());
        trim.snapshot().verify(counting);
        assertEquals(List.of(Run.hole(5, end - 5)), trim.snapshot().lookup(counting, 5, end - 5));

        resolved[0] = 0;
        MutableBlockIndex zero = saved.toMutable();
        zero.put(counting, 0, 1_999_000, Location.ZERO);
        assertTrue(resolved[0] <= 5 * height, "a 2M-block zero loaded " + resolved[0] + " nodes");
        assertEquals(new Extent(0, 1_999_000, Location.ZERO), zero.snapshot().find(counting, 1_500_000));
        assertEquals(1 + extents - 19_990, zero.snapshot().stats().extentCount());
        zero.snapshot().verify(counting);
        assertEquals(saved.stats(), saved.toMutable().snapshot().stats());
        assertEquals(new Extent(1_500_000, 10, Location.data(1, 150_000)), saved.find(counting, 1_500_000));
    }

    /** Canonical piecewise-constant map: breakpoint block -> value, holding until the next breakpoint. */
    private static final class Model {
        /** kind 0 hole, 1 zero, 2 data (seq, base = blockOffset - block). */
        record Value(int kind, long seq, long base) {
        }

        static final Value HOLE = new Value(0, 0, 0);
        static final Value ZERO = new Value(1, 0, 0);

        private final TreeMap<Long, Value> map = new TreeMap<>();

        Model() {
            map.put(0L, HOLE);
        }

        static Value value(long start, Location loc) {
            return loc instanceof Location.Data d ? new Value(2, d.segmentSeq(), d.blockOffset() - start) : ZERO;
        }

        void set(long a, long b, Value v) {
            Value atB = map.floorEntry(b).getValue();
            map.subMap(a, true, b, true).clear();
            map.put(a, v);
            if (b < NodeLimits.MAX_BLOCKS) {
                map.put(b, atB);
                if (atB.equals(v)) {
                    map.remove(b);
                }
            }
            if (a > 0 && map.floorEntry(a - 1).getValue().equals(v)) {
                map.remove(a);
            }
        }

        private static Location location(Value v, long block) {
            return switch (v.kind()) {
                case 0 -> null;
                case 1 -> Location.ZERO;
                default -> Location.data(v.seq(), v.base() + block);
            };
        }

        private long endOf(long key) {
            Long next = map.higherKey(key);
            return next == null ? NodeLimits.MAX_BLOCKS : next;
        }

        List<Extent> extents() {
            List<Extent> out = new ArrayList<>();
            for (Map.Entry<Long, Value> e : map.entrySet()) {
                if (e.getValue().kind() != 0) {
                    out.add(new Extent(e.getKey(), endOf(e.getKey()) - e.getKey(), location(e.getValue(), e.getKey())));
                }
            }
            return out;
        }

        Extent extentAt(long block) {
            Map.Entry<Long, Value> e = map.floorEntry(block);
            return e.getValue().kind() == 0 ? null
                    : new Extent(e.getKey(), endOf(e.getKey()) - e.getKey(), location(e.getValue(), e.getKey()));
        }

        List<Run> lookup(long start, long end) {
            List<Run> out = new ArrayList<>();
            long key = map.floorKey(start);
            while (key < end) {
                long s = Math.max(key, start);
                long e = Math.min(endOf(key), end);
                out.add(new Run(s, e - s, location(map.get(key), s)));
                key = endOf(key);
            }
            return out;
        }

        long mappedBlocks() {
            long sum = 0;
            for (Extent e : extents()) {
                sum += e.blockCount();
            }
            return sum;
        }

        Model copy() {
            Model m = new Model();
            m.map.putAll(map);
            return m;
        }
    }

    /** Running counts from a {@link LivenessSink} (which hears each mutation once it has succeeded). */
    private static final class Liveness implements LivenessSink {
        final Map<Long, Long> data = new HashMap<>();
        final Map<Long, Long> nodes = new HashMap<>();
        final List<NodePointer> pending = new ArrayList<>();

        @Override
        public void data(long segmentSeq, long blocks) {
            data.merge(segmentSeq, blocks, Long::sum);
        }

        @Override
        public void nodeDropped(NodePointer pointer) {
            nodes.merge(pointer.segmentSeq(), (long) -pointer.length(), Long::sum);
        }

        @Override
        public void subtreeDropped(NodePointer pointer) {
            pending.add(pointer);
        }
    }
}
