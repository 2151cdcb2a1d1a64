package io.hyperfile.core.volume;

import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ForwardingObjectStore;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A clone's view of the store (docs/CLONES.md): a read (GET, HEAD) of one of its borrowed segments,
 * {@code NEW/seg/<seq>} with {@code seq} at or below its base seq, goes to the segment's owner up the lineage
 * ({@code SRC/seg/<seq>}). Listings are not changed: a clone lists only its own segments. Deleting a borrowed segment
 * through this view does nothing (the parent's segments are never the clone's to delete, whatever a collector plans),
 * and writing one fails. Every other request passes through. Thread-safe.
 */
final class LineageStore extends ForwardingObjectStore {
    private final Lineage lineage;
    private final String prefix;

    LineageStore(ObjectStore delegate, Lineage lineage) {
        super(delegate);
        this.lineage = lineage;
        this.prefix = lineage.levels().get(0).prefix();
    }

    /** The key {@code key} is read from: the owner's segment key for a borrowed segment, else {@code key}. */
    String resolve(String key) {
        long seq = borrowedSeq(key);
        return seq > 0 ? SegmentKeys.segment(lineage.owner(seq).prefix(), seq) : key;
    }

    private long borrowedSeq(String key) {
        long seq = SegmentKeys.parseSegment(prefix, key);
        return seq > 0 && seq <= lineage.baseSeq() ? seq : -1;
    }

    @Override
    public CompletableFuture<ObjectData> get(String key, ByteRange range) {
        return delegate.get(resolve(key), range);
    }

    @Override
    public <T> CompletableFuture<T> read(String key, ByteRange range, Function<ObjectData, T> reader) {
        return delegate.read(resolve(key), range, reader);
    }

    @Override
    public CompletableFuture<ObjectInfo> head(String key) {
        String target = resolve(key);
        if (target.equals(key)) {
            return delegate.head(key);
        }
        return delegate.head(target).thenApply(i -> i == null ? null : new ObjectInfo(key, i.size(), i.lastModified()));
    }

    @Override
    public CompletableFuture<Void> put(String key, ByteBuffer data) {
        return borrowedSeq(key) > 0 ? refuse(key) : delegate.put(key, data);
    }

    @Override
    public CompletableFuture<Void> create(String key, ByteBuffer data) {
        return borrowedSeq(key) > 0 ? refuse(key) : delegate.create(key, data);
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
        return borrowedSeq(key) > 0 ? CompletableFuture.completedFuture(null) : delegate.delete(key);
    }

    @Override
    public CompletableFuture<Void> deleteAll(Collection<String> keys) {
        List<String> own = new ArrayList<>(keys.size());
        for (String k : keys) {
            if (borrowedSeq(k) < 0) {
                own.add(k);
            }
        }
        return own.isEmpty() ? CompletableFuture.completedFuture(null) : delegate.deleteAll(own);
    }

    private static CompletableFuture<Void> refuse(String key) {
        return CompletableFuture.failedFuture(new IllegalStateException("segment " + key
                + " belongs to the clone's parent and cannot be written through the clone"));
    }
}
