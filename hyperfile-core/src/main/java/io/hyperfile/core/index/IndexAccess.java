package io.hyperfile.core.index;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Runs synchronous tree operations against nodes that may have to be fetched asynchronously from the store.
 *
 * <p>{@link #run} calls the operation with a {@link NodeResolver} backed by the {@link NodeCache}. When the
 * operation throws {@link NodeNotLoadedException}, the named nodes are fetched (in parallel, with one fetch per
 * pointer however many operations want it), decoded, checked, cached, and the operation runs again. Operations are
 * pure functions of immutable snapshots (mutations of a {@link MutableBlockIndex} are atomic), so running one again
 * is safe. Nodes loaded for a run are pinned in that run until it completes, so eviction by other runs can never
 * make it loop: every retry has strictly more nodes than the one before.
 *
 * <p>A run keeps every node it loaded until it completes, so an operation over a large part of the index holds that
 * part in memory; walk large indexes in pages ({@link BlockIndex#extents}) rather than in one run.
 *
 * <p>An operation over many scattered ranges (a flush window of 4 KiB writes, a read of many ranges) would stop at
 * each missing node in turn: one round of fetches per node. {@link #run(Prefetch, Function)} takes the ranges up
 * front: at the first missing node it loads, level by level, every node on the paths to those ranges (one round per
 * level, each round's nodes fetched in parallel), then runs the operation again, so a cold operation costs about
 * {@code height} rounds. The re-run loop stays as the fallback for nodes the prefetch did not foresee. At most
 * {@code maxFetchesInFlight} fetches of one round are outstanding at a time, so a round of more nodes than that
 * takes several store round-trips.
 *
 * <p>The first attempt runs on the calling thread; retries run on the executor given to the constructor (the
 * volume's own thread for mutations). With a hot cache {@code run} completes before it returns.
 *
 * <p>Thread-safe.
 */
public final class IndexAccess {
    /** Nodes a run remembers outside the shared cache (a power of two); see {@code Attempt.recentNodes}. */
    private static final int RECENT = 64;
    /** The resolve of a run that makes its table of recent nodes (a 4 KiB read resolves about its tree's height). */
    private static final int RECENT_AFTER = 8;
    /** Fetches of one round outstanding at a time unless the constructor says otherwise. */
    public static final int DEFAULT_MAX_FETCHES_IN_FLIGHT = 32;

    private final NodeCodec codec;
    private final NodeCache cache;
    private final Function<NodePointer, CompletableFuture<ByteBuffer>> fetcher;
    private final Executor retryExecutor;
    private final ConcurrentHashMap<NodePointer, CompletableFuture<IndexNode>> loading = new ConcurrentHashMap<>();
    private final int maxFetchesInFlight;
    private final LongAdder retries = new LongAdder();
    private final LongAdder fetches = new LongAdder();
    private final LongAdder fetchRounds = new LongAdder();

    /** An access with at most {@value #DEFAULT_MAX_FETCHES_IN_FLIGHT} fetches per round outstanding. */
    public IndexAccess(NodeCodec codec, NodeCache cache, Function<NodePointer, CompletableFuture<ByteBuffer>> fetcher,
                       Executor retryExecutor) {
        this(codec, cache, fetcher, retryExecutor, DEFAULT_MAX_FETCHES_IN_FLIGHT);
    }

    /**
     * @param fetcher            reads a node's raw bytes ({@code pointer.length()} bytes at the pointer); the buffer
     *                           is handed over to this class
     * @param retryExecutor      where retries of an operation run
     * @param maxFetchesInFlight fetches one run has outstanding at a time (at least 1)
     */
    public IndexAccess(NodeCodec codec, NodeCache cache, Function<NodePointer, CompletableFuture<ByteBuffer>> fetcher,
                       Executor retryExecutor, int maxFetchesInFlight) {
        this.codec = Objects.requireNonNull(codec, "codec");
        this.cache = Objects.requireNonNull(cache, "cache");
        this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
        this.retryExecutor = Objects.requireNonNull(retryExecutor, "retryExecutor");
        if (maxFetchesInFlight < 1) {
            throw new IllegalArgumentException("maxFetchesInFlight must be positive. maxFetchesInFlight="
                    + maxFetchesInFlight);
        }
        this.maxFetchesInFlight = maxFetchesInFlight;
    }

    /**
     * Runs {@code op} until it completes without missing nodes. The future fails with what the operation threw,
     * with the fetcher's failure, or with {@link NodeCorruptionException} if a fetched node is corrupt.
     */
    public <T> CompletableFuture<T> run(Function<NodeResolver, T> op) {
        CompletableFuture<T> result = new CompletableFuture<>();
        new Attempt<>(op, null, result).execute();
        return result;
    }

    /**
     * As {@link #run(Function)} for an operation on {@code prefetch}'s snapshot and ranges: the first time the
     * operation misses a node, every node {@code prefetch} names that is not in memory is loaded, one level per
     * round, and every node it names is kept for the run (even with a cache too small to hold them); then the
     * operation runs again. With a hot cache this costs nothing more than {@link #run(Function)}: the prefetch's
     * ranges are not even worked out.
     */
    public <T> CompletableFuture<T> run(Prefetch prefetch, Function<NodeResolver, T> op) {
        Objects.requireNonNull(prefetch, "prefetch");
        CompletableFuture<T> result = new CompletableFuture<>();
        new Attempt<>(op, prefetch, result).execute();
        return result;
    }

    /** {@link BlockIndex#open} through this access. */
    public CompletableFuture<BlockIndex> open(NodePointer rootPointer, int height) {
        return run(r -> BlockIndex.open(r, codec.limits(), rootPointer, height));
    }

    /** {@link MutableBlockIndex#save} and caches every node written, so the next reads need no fetch. */
    public SaveResult save(MutableBlockIndex index, long segmentSeq, NodeSink sink) {
        SaveResult result = index.save(segmentSeq, sink);
        for (SaveResult.SavedNode saved : result.writtenNodes()) {
            cache.put(saved.pointer(), saved.node());
        }
        return result;
    }

    public NodeCache cache() {
        return cache;
    }

    public NodeCodec codec() {
        return codec;
    }

    /** Operations run again after loading nodes, since creation. */
    public long retries() {
        return retries.sum();
    }

    /** Nodes fetched from the store, since creation. */
    public long fetches() {
        return fetches.sum();
    }

    /**
     * Times a run waited for a batch of nodes (a prefetch level or the nodes a failed attempt named), since
     * creation: the number of dependent fetch rounds, whatever the number of nodes in each.
     */
    public long fetchRounds() {
        return fetchRounds.sum();
    }

    public int maxFetchesInFlight() {
        return maxFetchesInFlight;
    }

    private CompletableFuture<IndexNode> load(NodePointer pointer) {
        CompletableFuture<IndexNode> existing = loading.get(pointer);
        if (existing != null) {
            return existing;
        }
        CompletableFuture<IndexNode> mine = new CompletableFuture<>();
        existing = loading.putIfAbsent(pointer, mine);
        if (existing != null) {
            return existing;
        }
        fetches.increment();
        CompletableFuture<ByteBuffer> fetch;
        try {
            fetch = Objects.requireNonNull(fetcher.apply(pointer), "fetcher returned null");
        } catch (RuntimeException e) {
            fetch = CompletableFuture.failedFuture(e);
        }
        fetch.whenComplete((bytes, error) -> {
            loading.remove(pointer, mine);
            if (error != null) {
                mine.completeExceptionally(unwrap(error));
                return;
            }
            try {
                IndexNode node = codec.decode(pointer, bytes);
                cache.put(pointer, node);
                mine.complete(node);
            } catch (RuntimeException e) {
                mine.completeExceptionally(e);
            }
        });
        return mine;
    }

    private static Throwable unwrap(Throwable t) {
        Throwable e = t;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /**
     * One run of one operation: its pinned nodes, its prefetch walk and its result. Attempts never overlap in time
     * (each continues on the retry executor only after the previous step's fetches completed).
     */
    private final class Attempt<T> implements NodeResolver {
        private final Function<NodeResolver, T> op;
        private final CompletableFuture<T> result;
        /** Not yet walked (null without a prefetch, or once walked). */
        private Prefetch prefetch;
        /** The prefetch's walk, from the first miss until it is done. */
        private Prefetch.Walk walk;
        private boolean prefetching;
        private Map<NodePointer, IndexNode> pinned;
        /**
         * The nodes this run resolved last, by a hash of their pointer: an update walks the same path from the root
         * several times per extent (bounds, lookup, copy-on-write), and each walk would otherwise cost a lookup in
         * the shared cache under its lock. Nodes are immutable and named by pointer, so an entry never goes stale.
         * Made at the run's {@code RECENT_AFTER}-th resolve: a read's few lookups (one path per range) go to the
         * cache and allocate no table.
         */
        private NodePointer[] recentPointers;
        private IndexNode[] recentNodes;
        private int resolves;

        Attempt(Function<NodeResolver, T> op, Prefetch prefetch, CompletableFuture<T> result) {
            this.op = op;
            this.prefetch = prefetch;
            this.result = result;
        }

        @Override
        public IndexNode resolve(NodePointer pointer) {
            if (recentPointers == null) {
                if (++resolves < RECENT_AFTER) {
                    return lookUp(pointer);
                }
                recentPointers = new NodePointer[RECENT];
                recentNodes = new IndexNode[RECENT];
            }
            int slot = pointer.hashCode() & (RECENT - 1);
            NodePointer seen = recentPointers[slot];
            if (seen != null && seen.equals(pointer)) {
                return recentNodes[slot];
            }
            IndexNode node = lookUp(pointer);
            recentPointers[slot] = pointer;
            recentNodes[slot] = node;
            return node;
        }

        /** The node from the run's pinned nodes, else the shared cache. */
        private IndexNode lookUp(NodePointer pointer) {
            IndexNode node = pinned == null ? null : pinned.get(pointer);
            if (node == null) {
                node = cache.get(pointer);
                if (node == null) {
                    throw new NodeNotLoadedException(pointer);
                }
            }
            return node;
        }

        /** {@link #resolve}, keeping what the cache had for the run, so that later loads cannot evict it. */
        private IndexNode resolveAndPin(NodePointer pointer) {
            IndexNode node = resolve(pointer);
            if (pinned == null) {
                pinned = new HashMap<>();
            }
            pinned.putIfAbsent(pointer, node);
            return node;
        }

        void execute() {
            while (true) {
                if (prefetching && !prefetch()) {
                    return;
                }
                List<NodePointer> missing;
                try {
                    result.complete(op.apply(this));
                    return;
                } catch (NodeNotLoadedException e) {
                    missing = e.pointers();
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                    return;
                }
                retries.increment();
                if (prefetch != null) {
                    walk = prefetch.walk();
                    prefetch = null;
                    prefetching = true;
                    continue;
                }
                if (!loadAndPin(missing)) {
                    return;
                }
            }
        }

        /** Walks the prefetch to the leaves; false if it continues later (or the run failed). */
        private boolean prefetch() {
            while (!walk.isDone()) {
                List<NodePointer> missing;
                try {
                    missing = walk.step(this::resolveAndPin);
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                    return false;
                }
                if (!missing.isEmpty() && !loadAndPin(missing)) {
                    return false;
                }
            }
            walk = null;
            prefetching = false;
            return true;
        }

        /**
         * Loads and pins {@code pointers}: true if that finished on this thread; false if {@link #execute} continues
         * on the retry executor once the nodes are in, or the run failed.
         */
        private boolean loadAndPin(List<NodePointer> pointers) {
            if (pinned == null) {
                pinned = new HashMap<>();
            }
            for (NodePointer p : pointers) {
                if (pinned.containsKey(p)) {
                    result.completeExceptionally(new IllegalStateException(
                            "operation reported a pinned node as missing (resolver misuse): " + p));
                    return false;
                }
            }
            fetchRounds.increment();
            CompletableFuture<IndexNode[]> all = new BoundedLoad(pointers).start();
            if (all.isDone() && !all.isCompletedExceptionally()) {
                pin(pointers, all.join());
                return true;
            }
            all.whenComplete((nodes, error) -> {
                if (error != null) {
                    result.completeExceptionally(unwrap(error));
                    return;
                }
                pin(pointers, nodes);
                try {
                    retryExecutor.execute(this::execute);
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
            return false;
        }

        private void pin(List<NodePointer> pointers, IndexNode[] nodes) {
            for (int i = 0; i < nodes.length; i++) {
                pinned.put(pointers.get(i), nodes[i]);
            }
        }
    }

    /**
     * Loads a list of nodes with at most {@link #maxFetchesInFlight} outstanding: that many lanes, each starting
     * the next pointer when its current one completes. Completes with the nodes in order, or with the first
     * failure (then no further fetch starts). Thread-safe: lanes complete on fetcher threads.
     */
    private final class BoundedLoad {
        private final List<NodePointer> pointers;
        private final IndexNode[] nodes;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger remaining;
        private final CompletableFuture<IndexNode[]> done = new CompletableFuture<>();

        BoundedLoad(List<NodePointer> pointers) {
            this.pointers = pointers;
            this.nodes = new IndexNode[pointers.size()];
            this.remaining = new AtomicInteger(pointers.size());
        }

        CompletableFuture<IndexNode[]> start() {
            if (pointers.isEmpty()) {
                done.complete(nodes);
            }
            for (int lane = 0; lane < Math.min(maxFetchesInFlight, pointers.size()); lane++) {
                lane();
            }
            return done;
        }

        private void lane() {
            while (!done.isDone()) {
                int i = next.getAndIncrement();
                if (i >= pointers.size()) {
                    return;
                }
                CompletableFuture<IndexNode> f = load(pointers.get(i));
                if (!f.isDone()) {
                    f.whenComplete((node, error) -> {
                        if (record(i, node, error)) {
                            lane();
                        }
                    });
                    return;
                }
                IndexNode node = null;
                Throwable error = null;
                try {
                    node = f.join();
                } catch (CompletionException | CancellationException e) {
                    error = e;
                }
                if (!record(i, node, error)) {
                    return;
                }
            }
        }

        /** Records one outcome; false if the load failed. */
        private boolean record(int i, IndexNode node, Throwable error) {
            if (error != null) {
                done.completeExceptionally(unwrap(error));
                return false;
            }
            nodes[i] = node;
            if (remaining.decrementAndGet() == 0) {
                done.complete(nodes);
            }
            return true;
        }
    }
}
