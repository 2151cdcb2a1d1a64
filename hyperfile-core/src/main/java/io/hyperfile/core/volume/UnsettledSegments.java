package io.hyperfile.core.volume;

import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ForwardingObjectStore;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The volume's view of its store, in which the segments it has finished but not yet stored already exist. Once a
 * segment's index changes are applied, the new index points into it (its nodes and its data) while it may still
 * be on its way to the store; every read of the volume (index nodes, data blocks, read-ahead) goes through this
 * view, so such reads are answered from memory and never send a GET for an object that does not exist yet (whose
 * 404 a cache below might also share with later readers). Every other request goes to the store.
 *
 * <p>A segment is added before any index that points into it is published, and removed once it is durable, before
 * its memory is reused. A read copies the bytes out holding the entry's monitor, which a removal takes too, so a
 * removal never races a copy; a read of any other object costs one concurrent-map lookup. Thread-safe.
 */
final class UnsettledSegments extends ForwardingObjectStore {
    private final Map<String, ByteBuffer> unsettled = new ConcurrentHashMap<>();

    UnsettledSegments(ObjectStore store) {
        super(store);
    }

    /** Makes {@code bytes} (not copied; must not change until {@link #remove}) readable as object {@code key}. */
    void add(String key, ByteBuffer bytes) {
        unsettled.put(key, bytes.duplicate());
    }

    /** The object is durable (or abandoned): from now on reads go to the store. */
    void remove(String key) {
        ByteBuffer bytes = unsettled.get(key);
        if (bytes != null) {
            synchronized (bytes) {
                unsettled.remove(key);
            }
        }
    }

    int size() {
        return unsettled.size();
    }

    @Override
    public CompletableFuture<ObjectData> get(String key, ByteRange range) {
        ObjectData local = copy(key, range);
        return local != null ? CompletableFuture.completedFuture(local) : delegate.get(key, range);
    }

    /** A segment still uploading is lent from memory (no copy), holding its monitor while the reader runs. */
    @Override
    public <T> CompletableFuture<T> read(String key, ByteRange range, Function<ObjectData, T> reader) {
        ByteBuffer bytes = unsettled.get(key);
        if (bytes != null) {
            ObjectData lent = null;
            T result = null;
            synchronized (bytes) {
                if (unsettled.get(key) == bytes) {
                    lent = view(bytes, range);
                    try {
                        result = reader.apply(lent);
                    } catch (RuntimeException e) {
                        return CompletableFuture.failedFuture(e);
                    }
                }
            }
            if (lent != null) {
                return CompletableFuture.completedFuture(result);
            }
        }
        return delegate.read(key, range, reader);
    }

    private ObjectData copy(String key, ByteRange range) {
        ByteBuffer bytes = unsettled.get(key);
        if (bytes == null) {
            return null;
        }
        synchronized (bytes) {
            return unsettled.get(key) == bytes ? copy(bytes, range) : null;
        }
    }

    private static ObjectData copy(ByteBuffer bytes, ByteRange range) {
        ObjectData view = view(bytes, range);
        ByteBuffer out = ByteBuffer.allocate(view.length());
        out.put(0, view.data(), 0, view.length());
        return new ObjectData(out, view.offset(), view.objectSize());
    }

    /** {@code range} of {@code bytes} as a read-only view (valid while the entry's monitor is held). */
    private static ObjectData view(ByteBuffer bytes, ByteRange range) {
        long size = bytes.remaining();
        long from;
        long to;
        if (range instanceof ByteRange.Suffix sfx) {
            from = Math.max(0, size - sfx.length());
            to = size;
        } else if (range instanceof ByteRange.Span span) {
            from = Math.min(size, span.offset());
            to = Math.min(size, span.offset() + span.length());
        } else if (range instanceof ByteRange.From f) {
            from = Math.min(size, f.offset());
            to = size;
        } else {
            from = 0;
            to = size;
        }
        ByteBuffer view = bytes.slice(bytes.position() + (int) from, (int) (to - from)).asReadOnlyBuffer();
        return new ObjectData(view, from, size);
    }
}
