package io.hyperfile.core.store;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Counts every request passed to the wrapped store, its failures and its duration in a {@link StoreStats}. It sits
 * right above the backend (below the retries, see {@code StoreStack}), so that each attempt sent to S3 is counted.
 * Closing it closes the wrapped store, which it owns. Thread-safe if the wrapped store is.
 */
public final class MeteredObjectStore extends ForwardingObjectStore {
    private final StoreStats stats;
    private final LongSupplier nanoTime;

    /** Meters {@code delegate} (taken over) into {@code stats}, timing with {@code nanoTime}. */
    public MeteredObjectStore(ObjectStore delegate, StoreStats stats, LongSupplier nanoTime) {
        super(delegate);
        this.stats = stats;
        this.nanoTime = nanoTime;
    }

    @Override
    public CompletableFuture<ObjectData> get(String key, ByteRange range) {
        return metered(StoreOp.GET, () -> delegate.get(key, range));
    }

    /** Metered as a GET; a failure of the reader (not of the store) counts the GET as a success. */
    @Override
    public <T> CompletableFuture<T> read(String key, ByteRange range, Function<ObjectData, T> reader) {
        stats.started(StoreOp.GET);
        long start = nanoTime.getAsLong();
        AtomicBoolean readerFailed = new AtomicBoolean();
        CompletableFuture<T> f;
        try {
            f = delegate.read(key, range, data -> {
                try {
                    return reader.apply(data);
                } catch (RuntimeException | Error e) {
                    readerFailed.set(true);
                    throw e;
                }
            });
        } catch (RuntimeException e) {
            stats.completed(StoreOp.GET, nanoTime.getAsLong() - start, e);
            throw e;
        }
        f.whenComplete((v, e) -> stats.completed(StoreOp.GET, nanoTime.getAsLong() - start, readerFailed.get() ? null : e));
        return f;
    }

    @Override
    public CompletableFuture<Void> put(String key, ByteBuffer data) {
        return metered(StoreOp.PUT, () -> delegate.put(key, data));
    }

    @Override
    public CompletableFuture<Void> create(String key, ByteBuffer data) {
        return metered(StoreOp.CREATE, () -> delegate.create(key, data));
    }

    @Override
    public CompletableFuture<ObjectInfo> head(String key) {
        return metered(StoreOp.HEAD, () -> delegate.head(key));
    }

    @Override
    public CompletableFuture<ListPage> list(String prefix, String startAfter, int maxKeys) {
        return metered(StoreOp.LIST, () -> delegate.list(prefix, startAfter, maxKeys));
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
        return metered(StoreOp.DELETE, () -> delegate.delete(key));
    }

    @Override
    public CompletableFuture<Void> deleteAll(Collection<String> keys) {
        return metered(StoreOp.DELETE_ALL, () -> delegate.deleteAll(keys));
    }

    /** Closes the wrapped store: the metered store owns it. */
    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return delegate.toString();
    }

    private <T> CompletableFuture<T> metered(StoreOp op, Supplier<CompletableFuture<T>> request) {
        stats.started(op);
        long start = nanoTime.getAsLong();
        CompletableFuture<T> f;
        try {
            f = request.get();
        } catch (RuntimeException e) {
            stats.completed(op, nanoTime.getAsLong() - start, e); // an invalid argument: thrown, as the contract says
            throw e;
        }
        f.whenComplete((v, e) -> stats.completed(op, nanoTime.getAsLong() - start, e));
        return f;
    }
}
