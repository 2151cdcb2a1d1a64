package io.hyperfile.core.index;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutionException;
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
 * <p>The first attempt runs on the calling thread; retries run on the executor given to the constructor (the
 * volume's own thread for mutations). With a hot cache {@code run} completes before it returns.
 *
 * <p>Thread-safe.
 */
public final class IndexAccess {
    private final NodeCodec codec;
    private final NodeCache cache;
    private final Function<NodePointer, CompletableFuture<ByteBuffer>> fetcher;
    private final Executor retryExecutor;
    private final ConcurrentHashMap<NodePointer, CompletableFuture<IndexNode>> loading = new ConcurrentHashMap<>();
    private final LongAdder retries = new LongAdder();
    private final LongAdder fetches = new LongAdder();

    /**
     * @param fetcher       reads a node's raw bytes ({@code pointer.length()} bytes at the pointer); the buffer is
     *                      handed over to this class
     * @param retryExecutor where retries of an operation run
     */
    public IndexAccess(NodeCodec codec, NodeCache cache, Function<NodePointer, CompletableFuture<ByteBuffer>> fetcher,
                       Executor retryExecutor) {
        this.codec = Objects.requireNonNull(codec, "codec");
        this.cache = Objects.requireNonNull(cache, "cache");
        this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
        this.retryExecutor = Objects.requireNonNull(retryExecutor, "retryExecutor");
    }

    /**
     * Runs {@code op} until it completes without missing nodes. The future fails with what the operation threw,
     * with the fetcher's failure, or with {@link NodeCorruptionException} if a fetched node is corrupt.
     */
    public <T> CompletableFuture<T> run(Function<NodeResolver, T> op) {
        CompletableFuture<T> result = new CompletableFuture<>();
        new Attempt<>(op, result).execute();
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

    /** One run of one operation: its pinned nodes and its result. Attempts never overlap in time. */
    private final class Attempt<T> implements NodeResolver {
        private final Function<NodeResolver, T> op;
        private final CompletableFuture<T> result;
        private Map<NodePointer, IndexNode> pinned;

        Attempt(Function<NodeResolver, T> op, CompletableFuture<T> result) {
            this.op = op;
            this.result = result;
        }

        @Override
        public IndexNode resolve(NodePointer pointer) {
            if (pinned != null) {
                IndexNode node = pinned.get(pointer);
                if (node != null) {
                    return node;
                }
            }
            IndexNode node = cache.get(pointer);
            if (node == null) {
                throw new NodeNotLoadedException(pointer);
            }
            return node;
        }

        void execute() {
            while (true) {
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
                if (pinned == null) {
                    pinned = new HashMap<>();
                }
                @SuppressWarnings("unchecked")
                CompletableFuture<IndexNode>[] loads = new CompletableFuture[missing.size()];
                for (int i = 0; i < loads.length; i++) {
                    NodePointer p = missing.get(i);
                    if (pinned.containsKey(p)) {
                        result.completeExceptionally(new IllegalStateException(
                                "operation reported a pinned node as missing (resolver misuse): " + p));
                        return;
                    }
                    loads[i] = load(p);
                }
                retries.increment();
                CompletableFuture<Void> all = CompletableFuture.allOf(loads);
                if (all.isDone() && !all.isCompletedExceptionally()) {
                    pin(missing, loads);
                    continue;
                }
                all.whenComplete((v, error) -> {
                    if (error != null) {
                        result.completeExceptionally(unwrap(error));
                        return;
                    }
                    pin(missing, loads);
                    try {
                        retryExecutor.execute(this::execute);
                    } catch (RuntimeException e) {
                        result.completeExceptionally(e);
                    }
                });
                return;
            }
        }

        private void pin(List<NodePointer> pointers, CompletableFuture<IndexNode>[] loads) {
            for (int i = 0; i < loads.length; i++) {
                pinned.put(pointers.get(i), loads[i].join());
            }
        }
    }
}
