package io.hyperfile.core.index;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cold flush windows and multi-range reads through {@link IndexAccess#run(Prefetch, Function)}: a window of ~2,000
 * scattered keys on a cold index of 20,000 extents completes in one fetch round per level below the root (the plain
 * re-run loop needs one round per leaf), builds exactly the tree a warm run builds, and works with a 0-byte cache.
 * Fetches are held by {@link HeldFetches} and released one round at a time, so the tests count dependent rounds.
 */
class PrefetchTest {
    private static final NodeLimits LIMITS = NodeLimits.ofFanout(16);
    private static final NodeCodec CODEC = new NodeCodec(LIMITS);
    private static final int EXTENTS = 20_000;
    private static final long SPAN = 4L * EXTENTS;
    private static final int UNBOUNDED = Integer.MAX_VALUE;

    private final Map<NodePointer, byte[]> stored = new HashMap<>();
    private final NodeResolver direct = p -> CODEC.decode(p, ByteBuffer.wrap(stored.get(p)));
    private final BlockIndex saved = saveTree();

    /** Extents [4i, 4i + 2) at segment 1, offset 2i: nothing merges, half the blocks are holes. */
    private BlockIndex saveTree() {
        MutableBlockIndex m = BlockIndex.empty(LIMITS).toMutable();
        for (long i = 0; i < EXTENTS; i++) {
            m.put(NodeResolver.NONE, 4 * i, 2, Location.data(1, 2 * i));
        }
        long[] next = {0};
        BlockIndex index = m.save(1, buf -> {
            byte[] bytes = new byte[buf.remaining()];
            buf.get(bytes);
            stored.put(new NodePointer(1, next[0], bytes.length), bytes);
            next[0] += bytes.length;
            return next[0] - bytes.length;
        }).index();
        assertTrue(index.height() >= 4, "height " + index.height());
        return index;
    }

    /** A flush window's data runs: {@code count} distinct scattered one-block writes into segment 2, sorted. */
    private static List<Extent> scatteredWindow(long seed, int count) {
        SplittableRandom rnd = new SplittableRandom(seed);
        TreeSet<Long> blocks = new TreeSet<>();
        while (blocks.size() < count) {
            blocks.add(rnd.nextLong(SPAN));
        }
        List<Extent> window = new ArrayList<>(count);
        long offset = 0;
        for (long b : blocks) {
            window.add(new Extent(b, 1, Location.data(2, offset)));
            offset += 2; // a gap in the segment: a window's runs never continue each other
        }
        return window;
    }

    private static Function<NodeResolver, MutableBlockIndex> putAll(BlockIndex base, List<Extent> window) {
        return r -> {
            MutableBlockIndex m = base.toMutable();
            m.putAll(r, window);
            return m;
        };
    }

    /** A cold access whose root is loaded (opening costs one round, as after a restart). */
    private BlockIndex openCold(IndexAccess access, HeldFetches held) {
        BlockIndex index = held.drain(access.open(saved.rootPointer(), saved.height())).value();
        held.resetCounts();
        return index;
    }

    /** Every node of {@code m} saved into a fresh segment, encoded, in save order: equal iff the trees are equal. */
    private static List<byte[]> encoded(MutableBlockIndex m) {
        List<byte[]> out = new ArrayList<>();
        m.snapshot().toMutable().save(9, buf -> {
            byte[] bytes = new byte[buf.remaining()];
            buf.get(bytes);
            out.add(bytes);
            return 0;
        });
        return out;
    }

    private void assertSameTree(MutableBlockIndex expected, MutableBlockIndex actual) {
        List<byte[]> want = encoded(expected);
        List<byte[]> got = encoded(actual);
        assertEquals(want.size(), got.size(), "nodes written");
        for (int i = 0; i < want.size(); i++) {
            assertArrayEquals(want.get(i), got.get(i), "node " + i + " in save order");
        }
        actual.snapshot().verify(direct);
    }

    @Test
    void aColdWindowOfScatteredWritesLoadsOneLevelPerRound() {
        List<Extent> window = scatteredWindow(7, 2_000);
        MutableBlockIndex warm = putAll(saved, window).apply(direct);

        HeldFetches held = new HeldFetches();
        IndexAccess access = new IndexAccess(CODEC, new NodeCache(1L << 30), held::fetch, Runnable::run, UNBOUNDED);
        BlockIndex base = openCold(access, held);
        Prefetch paths = Prefetch.forUpdate(base, window, Extent::startBlock, Extent::blockCount);
        Drained<MutableBlockIndex> cold = held.drain(access.run(paths, putAll(base, window)));

        int levelsBelowRoot = saved.height() - 1;
        assertEquals(levelsBelowRoot, cold.rounds(), "one round of parallel fetches per level below the root");
        assertEquals(levelsBelowRoot, access.fetchRounds() - 1, "(the first round was the root's)");
        assertEquals(1, access.retries() - 1, "after opening, the operation ran twice: cold, then with every node");
        assertTrue(held.gets > 1_000, "the window touches most leaves: " + held.gets + " GETs");
        assertSameTree(warm, cold.value());
    }

    @Test
    void withoutPrefetchTheSameWindowTakesOneRoundPerNode() {
        List<Extent> window = scatteredWindow(7, 2_000);
        HeldFetches held = new HeldFetches();
        IndexAccess access = new IndexAccess(CODEC, new NodeCache(1L << 30), held::fetch, Runnable::run, UNBOUNDED);
        BlockIndex base = openCold(access, held);
        Drained<MutableBlockIndex> cold = held.drain(access.run(putAll(base, window)));

        assertEquals(held.gets, cold.rounds(), "the re-run loop fetches one node per round");
        assertTrue(cold.rounds() > 1_000, "rounds " + cold.rounds());
        assertSameTree(putAll(saved, window).apply(direct), cold.value());
    }

    @Test
    void aZeroByteCacheStillAppliesTheWindowInOneRoundPerLevel() {
        List<Extent> window = scatteredWindow(11, 2_000);
        HeldFetches held = new HeldFetches();
        IndexAccess access = new IndexAccess(CODEC, new NodeCache(0), held::fetch, Runnable::run, UNBOUNDED);
        BlockIndex base = openCold(access, held);
        Prefetch paths = Prefetch.forUpdate(base, window, Extent::startBlock, Extent::blockCount);
        Drained<MutableBlockIndex> cold = held.drain(access.run(paths, putAll(base, window)));

        assertEquals(saved.height() - 1, cold.rounds());
        assertEquals(0, access.cache().nodeCount(), "nothing cached: the run kept its own nodes");
        assertSameTree(putAll(saved, window).apply(direct), cold.value());
    }

    @Test
    void aRoundKeepsAtMostMaxFetchesInFlight() {
        List<Extent> window = scatteredWindow(13, 2_000);
        HeldFetches held = new HeldFetches();
        IndexAccess access = new IndexAccess(CODEC, new NodeCache(0), held::fetch, Runnable::run);
        assertEquals(32, access.maxFetchesInFlight());
        BlockIndex base = openCold(access, held);
        Prefetch paths = Prefetch.forUpdate(base, window, Extent::startBlock, Extent::blockCount);
        Drained<MutableBlockIndex> cold = held.drain(access.run(paths, putAll(base, window)));

        assertEquals(32, held.maxOutstanding, "never more than the bound, and the bound is used");
        assertEquals(saved.height() - 1, access.fetchRounds() - 1, "still one batch per level (after the root's)");
        assertTrue(cold.rounds() <= held.gets / 32 + saved.height(), cold.rounds() + " store round-trips for "
                + held.gets + " GETs");
        assertSameTree(putAll(saved, window).apply(direct), cold.value());
    }

    /** 16-block writes over 2-block extents drop extents: leaves that may underflow get their sibling loaded. */
    @Test
    void aWindowOfWiderWritesAlsoLoadsTheSiblingsItMerges() {
        SplittableRandom rnd = new SplittableRandom(29);
        TreeSet<Long> starts = new TreeSet<>();
        while (starts.size() < 1_000) {
            starts.add(16 * rnd.nextLong(SPAN / 16));
        }
        List<Extent> window = new ArrayList<>();
        long offset = 0;
        for (long b : starts) {
            window.add(new Extent(b, 16, Location.data(2, offset)));
            offset += 17;
        }
        HeldFetches held = new HeldFetches();
        IndexAccess access = new IndexAccess(CODEC, new NodeCache(0), held::fetch, Runnable::run, UNBOUNDED);
        BlockIndex base = openCold(access, held);
        Prefetch paths = Prefetch.forUpdate(base, window, Extent::startBlock, Extent::blockCount);
        Drained<MutableBlockIndex> cold = held.drain(access.run(paths, putAll(base, window)));

        assertTrue(cold.rounds() <= saved.height(), "a round per level, one for the leaves' siblings, and at most "
                + "one re-run: " + cold.rounds());
        assertSameTree(putAll(saved, window).apply(direct), cold.value());
    }

    /** Data runs, zeros and trims of all sizes, applied in order as a flush window's records are. */
    @Test
    void aMixedWindowBuildsTheTreeAWarmRunBuilds() {
        SplittableRandom rnd = new SplittableRandom(5);
        List<Extent> ranges = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            long count = rnd.nextInt(10) == 0 ? 1 + rnd.nextLong(400) : 1 + rnd.nextInt(6);
            ranges.add(new Extent(rnd.nextLong(SPAN - count), count, switch (rnd.nextInt(3)) {
                case 0 -> Location.data(3, 1_000L * i);
                case 1 -> Location.ZERO;
                default -> Location.data(4, 0); // stands for a trim
            }));
        }
        Function<NodeResolver, MutableBlockIndex> apply = r -> {
            MutableBlockIndex m = saved.toMutable();
            for (Extent e : ranges) {
                if (e.location().equals(Location.data(4, 0))) {
                    m.remove(r, e.startBlock(), e.blockCount());
                } else {
                    m.put(r, e.startBlock(), e.blockCount(), e.location());
                }
            }
            return m;
        };
        HeldFetches held = new HeldFetches();
        IndexAccess access = new IndexAccess(CODEC, new NodeCache(0), held::fetch, Runnable::run, UNBOUNDED);
        openCold(access, held);
        Prefetch paths = Prefetch.forUpdate(saved, ranges, Extent::startBlock, Extent::blockCount);
        Drained<MutableBlockIndex> cold = held.drain(access.run(paths, apply));

        assertSameTree(apply.apply(direct), cold.value());
        // The plain re-run loop takes 929 rounds here; merges the prefetch did not foresee take a few re-runs.
        assertTrue(cold.rounds() < saved.height() + 20, "merges with unforeseen siblings fall back to re-runs: "
                + cold.rounds() + " rounds");
    }

    @Test
    void aColdReadOfManyRangesLoadsOneLevelPerRound() {
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 500;
        long[] starts = new long[n];
        long[] ends = new long[n];
        for (int i = 0; i < n; i++) {
            starts[i] = rnd.nextLong(SPAN - 64);
            ends[i] = starts[i] + 1 + rnd.nextInt(64);
        }
        Function<NodeResolver, List<List<Run>>> read = r -> {
            List<List<Run>> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(saved.lookup(r, starts[i], ends[i] - starts[i]));
            }
            return out;
        };
        HeldFetches held = new HeldFetches();
        IndexAccess access = new IndexAccess(CODEC, new NodeCache(1L << 30), held::fetch, Runnable::run, UNBOUNDED);
        openCold(access, held);
        Drained<List<List<Run>>> cold = held.drain(access.run(Prefetch.forRead(saved, starts, ends), read));

        assertEquals(saved.height() - 1, cold.rounds());
        assertEquals(read.apply(direct), cold.value());

        HeldFetches plainHeld = new HeldFetches();
        IndexAccess plain = new IndexAccess(CODEC, new NodeCache(1L << 30), plainHeld::fetch, Runnable::run, UNBOUNDED);
        openCold(plain, plainHeld);
        assertTrue(plainHeld.drain(plain.run(read)).rounds() > 100, "without prefetch: height rounds per range");
    }

    @Test
    void aPrefetchThatForeseesNothingFallsBackToReRuns() {
        List<Extent> window = scatteredWindow(17, 50);
        HeldFetches held = new HeldFetches();
        IndexAccess access = new IndexAccess(CODEC, new NodeCache(0), held::fetch, Runnable::run);
        BlockIndex base = openCold(access, held);
        Prefetch elsewhere = Prefetch.forUpdate(base, List.of(new Extent(SPAN + 1_000, 1, Location.ZERO)),
                Extent::startBlock, Extent::blockCount);
        Drained<MutableBlockIndex> cold = held.drain(access.run(elsewhere, putAll(base, window)));

        assertSameTree(putAll(saved, window).apply(direct), cold.value());
        assertTrue(access.retries() > 2, "re-runs loaded what the prefetch missed: " + access.retries());
    }

    @Test
    void aHotRunNeitherFetchesNorWalks() {
        List<Extent> window = scatteredWindow(23, 300);
        HeldFetches held = new HeldFetches();
        IndexAccess access = new IndexAccess(CODEC, new NodeCache(1L << 30), held::fetch, Runnable::run);
        BlockIndex base = openCold(access, held);
        Prefetch paths = Prefetch.forUpdate(base, window, Extent::startBlock, Extent::blockCount);
        held.drain(access.run(paths, putAll(base, window)));
        long fetches = access.fetches();
        long rounds = access.fetchRounds();
        long retries = access.retries();

        Drained<MutableBlockIndex> hot = held.drain(access.run(paths, putAll(base, window)));
        assertEquals(0, hot.rounds());
        assertEquals(fetches, access.fetches());
        assertEquals(rounds, access.fetchRounds());
        assertEquals(retries, access.retries(), "the operation ran once");
        assertSameTree(putAll(saved, window).apply(direct), hot.value());
    }

    @Test
    void fetchFailuresAndCorruptionFailThePrefetchingRun() {
        List<Extent> window = scatteredWindow(19, 200);
        IllegalStateException boom = new IllegalStateException("store down");
        IndexAccess failing = new IndexAccess(CODEC, new NodeCache(0), p -> p.equals(saved.rootPointer())
                ? CompletableFuture.completedFuture(ByteBuffer.wrap(stored.get(p)))
                : CompletableFuture.failedFuture(new CompletionException(boom)), Runnable::run);
        BlockIndex base = failing.open(saved.rootPointer(), saved.height()).join();
        Prefetch paths = Prefetch.forUpdate(base, window, Extent::startBlock, Extent::blockCount);
        CompletionException e = assertThrows(CompletionException.class,
                () -> failing.run(paths, putAll(base, window)).join());
        assertEquals(boom, e.getCause());

        IndexAccess corrupt = new IndexAccess(CODEC, new NodeCache(0), p -> {
            byte[] bytes = stored.get(p).clone();
            if (!p.equals(saved.rootPointer())) {
                bytes[5] ^= 1;
            }
            return CompletableFuture.completedFuture(ByteBuffer.wrap(bytes));
        }, Runnable::run);
        e = assertThrows(CompletionException.class, () -> corrupt.run(paths, putAll(base, window)).join());
        NodeCorruptionException nc = assertInstanceOf(NodeCorruptionException.class, e.getCause());
        assertTrue(nc.getMessage().contains("checksum mismatch"), nc.getMessage());
    }

    @Test
    void badRangesAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Prefetch.forRead(saved, new long[] {1, 2}, new long[] {3}));
        assertEquals("starts and ends must have the same length. starts=2, ends=1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Prefetch.forRead(saved, new long[] {5}, new long[] {5}));
        assertEquals("blockCount must be positive. blockCount=0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Prefetch.forUpdate(saved,
                List.of(new long[] {-1, 4}), r -> r[0], r -> r[1]));
        assertEquals("startBlock must be non-negative. startBlock=-1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new IndexAccess(CODEC, new NodeCache(0),
                p -> null, Runnable::run, 0));
        assertEquals("maxFetchesInFlight must be positive. maxFetchesInFlight=0", e.getMessage());
        assertEquals(2, Prefetch.forRead(saved, new long[] {10, 0, 5, 30}, new long[] {20, 6, 12, 31}).rangeCount(),
                "overlapping and touching ranges merge");
    }

    private record Drained<T>(T value, int rounds) {
    }

    /** Holds every fetch until the test releases it; counts GETs and the most outstanding at once. */
    private final class HeldFetches {
        private List<Runnable> pending = new ArrayList<>();
        int gets;
        int outstanding;
        int maxOutstanding;

        CompletableFuture<ByteBuffer> fetch(NodePointer p) {
            gets++;
            outstanding++;
            maxOutstanding = Math.max(maxOutstanding, outstanding);
            CompletableFuture<ByteBuffer> f = new CompletableFuture<>();
            pending.add(() -> {
                outstanding--;
                f.complete(ByteBuffer.wrap(stored.get(p).clone()));
            });
            return f;
        }

        /** Releases held fetches a round at a time (every fetch held when it starts) until {@code f} completes. */
        <T> Drained<T> drain(CompletableFuture<T> f) {
            int rounds = 0;
            while (!f.isDone()) {
                if (pending.isEmpty()) {
                    throw new IllegalStateException("run stalled with no fetch held");
                }
                List<Runnable> round = pending;

                pending = new ArrayList<>();
                round.forEach(Runnable::run);
                rounds++;
            }
            return new Drained<>(f.join(), rounds);
        }

        void resetCounts() {
            gets = 0;
            maxOutstanding = 0;
        }
    }
}
