package io.hyperfile.core.store;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;

/**
 * A store that passes every request to another one; subclasses override what they change. {@link #close} does
 * nothing: the wrapped store belongs to whoever made it. Thread-safe if the wrapped store is.
 */
public abstract class ForwardingObjectStore implements ObjectStore {
    protected final ObjectStore delegate;

    protected ForwardingObjectStore(ObjectStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public StoreCapabilities capabilities() {
        return delegate.capabilities();
    }

    @Override
    public CompletableFuture<ObjectData> get(String key, ByteRange range) {
        return delegate.get(key, range);
    }

    @Override
    public CompletableFuture<Void> put(String key, ByteBuffer data) {
        return delegate.put(key, data);
    }

    @Override
    public CompletableFuture<Void> create(String key, ByteBuffer data) {
        return delegate.create(key, data);
    }

    @Override
    public CompletableFuture<ObjectInfo> head(String key) {
        return delegate.head(key);
    }

    @Override
    public CompletableFuture<ListPage> list(String prefix, String startAfter, int maxKeys) {
        return delegate.list(prefix, startAfter, maxKeys);
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
        return delegate.delete(key);
    }

    @Override
    public CompletableFuture<Void> deleteAll(Collection<String> keys) {
        return delegate.deleteAll(keys);
    }

    /** The wrapped store is not this one's to close. */
    @Override
    public void close() {
    }
}
