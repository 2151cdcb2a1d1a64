package io.hyperfile.core.index.bench;

import io.hyperfile.core.index.BlockIndex;
import io.hyperfile.core.index.Extent;
import io.hyperfile.core.index.IndexAccess;
import io.hyperfile.core.index.Location;
import io.hyperfile.core.index.MutableBlockIndex;
import io.hyperfile.core.index.NodeCache;
import io.hyperfile.core.index.NodeCodec;
import io.hyperfile.core.index.NodeLimits;
import io.hyperfile.core.index.NodePointer;
import io.hyperfile.core.index.NodeResolver;
import io.hyperfile.core.index.Prefetch;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Time and fetch rounds of indexing one cold flush window of scattered 4 KiB writes, with and without a
 * {@link Prefetch}: what a volume does for its first flush after a restart. The index has default 4096-byte nodes
 * and 2^20 one-block extents (every other block of a 2^21-block volume, as in {@link IndexBench}); every node fetch
 * completes after a simulated store latency. Not run by the tests:
 * {@code java -cp hyperfile-core/target/classes:hyperfile-core/target/test-classes
 * io.hyperfile.core.index.bench.ColdWindowMeasure [latencyMillis=10] [windowWrites=2000] [maxFetchesInFlight=32]}.
 */
public final class ColdWindowMeasure {
    private static final int EXTENTS = 1 << 20;

    private ColdWindowMeasure() {
    }

    public static void main(String[] args) throws Exception {
        long latencyMillis = args.length > 0 ? Long.parseLong(args[0]) : 10;
        int writes = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
        int inFlight = args.length > 2 ? Integer.parseInt(args[2]) : IndexAccess.DEFAULT_MAX_FETCHES_IN_FLIGHT;
        NodeLimits limits = NodeLimits.defaults();
        NodeCodec codec = new NodeCodec(limits);
        Map<NodePointer, byte[]> stored = new HashMap<>();
        MutableBlockIndex m = BlockIndex.empty(limits).toMutable();
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < EXTENTS; i++) {
            m.put(NodeResolver.NONE, 2L * i, 1, Location.data(1, r.nextLong(1L << 31)));
        }
        long[] next = {0};
        BlockIndex saved = m.save(1, buf -> {
            byte[] bytes = new byte[buf.remaining()];
            buf.get(bytes);
            stored.put(new NodePointer(1, next[0], bytes.length), bytes);
            next[0] += bytes.length;
            return next[0] - bytes.length;
        }).index();

        TreeSet<Long> blocks = new TreeSet<>();
        while (blocks.size() < writes) {
            blocks.add(r.nextLong(2L * EXTENTS));
        }
        List<Extent> window = new ArrayList<>();
        long offset = 0;
        for (long b : blocks) {
            window.add(new Extent(b, 1, Location.data(2, offset++)));
        }
        System.out.printf("index: %d extents, %d nodes, height %d; window: %d scattered 4 KiB writes; "
                        + "store latency %d ms; %d fetches in flight%n", EXTENTS, saved.stats().nodeCount(),
                saved.height(), writes, latencyMillis, inFlight);

        ScheduledExecutorService store = Executors.newScheduledThreadPool(4);
        ExecutorService volumeThread = Executors.newSingleThreadExecutor();
        try {
            for (boolean prefetch : new boolean[] {false, true, false, true}) {
                AtomicInteger gets = new AtomicInteger();
                IndexAccess access = new IndexAccess(codec, new NodeCache(64L << 20), p -> {
                    gets.incrementAndGet();
                    CompletableFuture<ByteBuffer> f = new CompletableFuture<>();
                    store.schedule(() -> f.complete(ByteBuffer.wrap(stored.get(p).clone())), latencyMillis,
                            TimeUnit.MILLISECONDS);
                    return f;
                }, volumeThread, inFlight);
                BlockIndex base = access.open(saved.rootPointer(), saved.height()).join();
                long rounds0 = access.fetchRounds();
                int gets0 = gets.get();
                Function<NodeResolver, MutableBlockIndex> op = res -> {
                    MutableBlockIndex w = base.toMutable();
                    w.putAll(res, window);
                    return w;
                };
                long t0 = System.nanoTime();
                MutableBlockIndex result = (prefetch
                        ? access.run(Prefetch.forUpdate(base, window, Extent::startBlock, Extent::blockCount), op)
                        : access.run(op)).get();
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                System.out.printf("%-12s %6d ms  %5d fetch rounds  %5d GETs  (%d extents after)%n",
                        prefetch ? "prefetch" : "re-run only", millis, access.fetchRounds() - rounds0,
                        gets.get() - gets0, result.snapshot().stats().extentCount());
            }
        } finally {
            store.shutdownNow();
            volumeThread.shutdownNow();
        }
    }
}
