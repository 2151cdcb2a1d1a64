package io.hyperfile.core.index;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IndexAccessTest {
    private static final NodeLimits LIMITS = NodeLimits.ofFanout(4);
    private static final NodeCodec CODEC = new NodeCodec(LIMITS);

    private final Map<NodePointer, byte[]> stored = new HashMap<>();
    private final AtomicInteger fetchCalls = new AtomicInteger();
    private BlockIndex saved;

    @BeforeEach
    void saveATree() {
        MutableBlockIndex m = BlockIndex.empty(LIMITS).toMutable();
        for (long i = 0; i < 2_000; i++) {
            m.put(NodeResolver.NONE, i * 3, 2, Location.data(1, i * 2));
        }
        long[] next = {0};
        saved = m.save(1, buf -> {
            byte[] bytes = new byte[buf.remaining()];
            buf.get(bytes);
            stored.put(new NodePointer(1, next[0], bytes.length), bytes);
            next[0] += bytes.length;
            return next[0] - bytes.length;
        }).index();
    }

    private CompletableFuture<ByteBuffer> fetchNow(NodePointer p) {
        fetchCalls.incrementAndGet();
        return CompletableFuture.completedFuture(ByteBuffer.wrap(stored.get(p).clone()));
    }

    private IndexAccess access(long cacheBytes, Function<NodePointer, CompletableFuture<ByteBuffer>> fetcher) {
        return new IndexAccess(CODEC, new NodeCache(cacheBytes), fetcher, Runnable::run);
    }

    @Test
    void coldRangeReadLoadsOneLevelPerRetry() {
        IndexAccess access = access(1L << 30, this::fetchNow);
        BlockIndex index = access.open(saved.rootPointer(), saved.height()).join();
        assertEquals(1, access.fetches());
        List<Run> runs = access.run(r -> index.lookup(r, 0, 6_000)).join();
        assertEquals(4_000, runs.size());
        assertEquals(saved.height() - 1, access.retries() - 1, "one retry per level below the root");
        assertEquals(saved.stats().nodeCount(), access.fetches());
        assertEquals(saved.stats().nodeCount(), access.cache().nodeCount());

        long fetches = access.fetches();
        assertEquals(runs, access.run(r -> index.lookup(r, 0, 6_000)).join());
        assertEquals(fetches, access.fetches(), "a hot cache needs no fetch");
    }

    @Test
    void concurrentRunsShareOneFetchPerNode() {
        ArrayDeque<Runnable> pending = new ArrayDeque<>();
        IndexAccess access = access(1L << 30, p -> {
            fetchCalls.incrementAndGet();
            CompletableFuture<ByteBuffer> f = new CompletableFuture<>();
            pending.add(() -> f.complete(ByteBuffer.wrap(stored.get(p))));
            return f;
        });
        CompletableFuture<BlockIndex> first = access.open(saved.rootPointer(), saved.height());
        CompletableFuture<BlockIndex> second = access.open(saved.rootPointer(), saved.height());
        assertFalse(first.isDone());
        assertEquals(1, fetchCalls.get());
        pending.poll().run();
        assertTrue(first.isDone() && second.isDone());
        BlockIndex index = first.join();
        CompletableFuture<Extent> a = access.run(r -> index.find(r, 3_000));
        CompletableFuture<Extent> b = access.run(r -> index.find(r, 3_001));
        while (!pending.isEmpty()) {
            pending.poll().run();
        }
        assertEquals(new Extent(3_000, 2, Location.data(1, 2_000)), a.join());
        assertEquals(a.join(), b.join());
        assertEquals(saved.height(), fetchCalls.get(), "both runs walk the same path; each node is fetched once");
    }

    @Test
    void aZeroByteCacheStillCompletesBecauseRunsPinTheirNodes() {
        IndexAccess access = access(0, this::fetchNow);
        BlockIndex index = access.open(saved.rootPointer(), saved.height()).join();
        List<Extent> page = access.run(r -> index.extents(r, 1_500, 100)).join();
        assertEquals(100, page.size());
        assertEquals(new Extent(1_500, 2, Location.data(1, 1_000)), page.get(0));
        assertEquals(0, access.cache().nodeCount());
        MutableBlockIndex m = index.toMutable();
        access.run(r -> {
            m.remove(r, 0, 3_000);
            return null;
        }).join();
        assertEquals(1_000, m.snapshot().stats().extentCount());
    }

    @Test
    void retriesRunOnTheRetryExecutor() {
        ArrayDeque<Runnable> executor = new ArrayDeque<>();
        ArrayDeque<Runnable> fetches = new ArrayDeque<>();
        IndexAccess access = new IndexAccess(CODEC, new NodeCache(1L << 20), p -> {
            CompletableFuture<ByteBuffer> f = new CompletableFuture<>();
            fetches.add(() -> f.complete(ByteBuffer.wrap(stored.get(p))));
            return f;
        }, executor::add);
        CompletableFuture<BlockIndex> open = access.open(saved.rootPointer(), saved.height());
        fetches.poll().run();
        assertFalse(open.isDone(), "the retry waits for the executor");
        assertEquals(1, executor.size());
        executor.poll().run();
        assertTrue(open.isDone());
    }

    @Test
    void savedNodesAreCachedSoTheHotPathNeedsNoFetch() {
        IndexAccess access = access(1L << 30, this::fetchNow);
        BlockIndex index = access.open(saved.rootPointer(), saved.height()).join();
        MutableBlockIndex m = index.toMutable();
        access.run(r -> {
            m.put(r, 10_000, 5, Location.data(2, 0));
            return null;
        }).join();
        long fetches = access.fetches();
        long[] offset = {0};
        SaveResult result = access.save(m, 2, buf -> {
            offset[0] += buf.remaining();
            return offset[0] - buf.remaining();
        });
        BlockIndex next = result.index();
        assertTrue(result.nodesWritten() >= next.height());
        assertEquals(fetches + result.nodesWritten(), access.cache().nodeCount());
        access.run(r -> next.lookup(r, 10_000, 5)).join();
        assertEquals(fetches, access.fetches());
    }

    @Test
    void fetchFailuresFailTheRun() {
        IllegalStateException boom = new IllegalStateException("store down");
        IndexAccess access = access(1L << 30, p -> CompletableFuture.failedFuture(new CompletionException(boom)));
        CompletionException e = assertThrows(CompletionException.class,
                () -> access.open(saved.rootPointer(), saved.height()).join());
        assertEquals(boom, e.getCause());

        IndexAccess throwing = access(1L << 30, p -> {
            throw boom;
        });
        e = assertThrows(CompletionException.class, () -> throwing.open(saved.rootPointer(), saved.height()).join());
        assertEquals(boom, e.getCause());
    }

    @Test
    void corruptNodesFailTheRunWithTheirPointer() {
        IndexAccess access = access(1L << 30, p -> {
            byte[] bytes = stored.get(p).clone();
            if (!p.equals(saved.rootPointer())) {
                bytes[5] ^= 1;
            }
            return CompletableFuture.completedFuture(ByteBuffer.wrap(bytes));
        });
        BlockIndex index = access.open(saved.rootPointer(), saved.height()).join();
        CompletionException e = assertThrows(CompletionException.class,
                () -> access.run(r -> index.find(r, 0)).join());
        NodeCorruptionException corrupt = assertInstanceOf(NodeCorruptionException.class, e.getCause());
        assertEquals(((InternalNode) index.root()).pointer(0), corrupt.pointer());
        assertTrue(corrupt.getMessage().contains("checksum mismatch"), corrupt.getMessage());
    }

    @Test
    void aPointerToTheWrongNodeIsCorruption() {
        InternalNode root = (InternalNode) saved.root();
        NodePointer first = root.pointer(0);
        NodeResolver swapping = p -> {
            NodePointer read = p.equals(first) ? root.pointer(1) : p;
            return CODEC.decode(read, ByteBuffer.wrap(stored.get(read)));
        };
        NodeCorruptionException e = assertThrows(NodeCorruptionException.class, () -> saved.find(swapping, 0));
        assertEquals(first, e.pointer());
        assertTrue(e.getMessage().contains("does not match its parent entry: expected level %d, first block 0"
                .formatted(saved.height() - 2)), e.getMessage());
    }

    @Test
    void wrongHeightIsCorruptionAndOperationFailuresPassThrough() {
        IndexAccess access = access(1L << 30, this::fetchNow);
        CompletionException e = assertThrows(CompletionException.class,
                () -> access.open(saved.rootPointer(), saved.height() + 1).join());
        assertEquals(NodeCorruptionException.class, e.getCause().getClass());
        assertTrue(e.getCause().getMessage().endsWith("root node has level %d but the checkpoint says height %d"
                .formatted(saved.height() - 1, saved.height() + 1)), e.getCause().getMessage());

        IllegalArgumentException bad = new IllegalArgumentException("nope");
        e = assertThrows(CompletionException.class, () -> access.run(r -> {
            throw bad;
        }).join());
        assertEquals(bad, e.getCause());
    }
}
