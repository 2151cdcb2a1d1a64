package io.hyperfile.core.diff;

import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ForwardingObjectStore;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/** Counts the GETs that pass through it (all of them, and those of segment objects). Thread-safe. */
final class CountingStore extends ForwardingObjectStore {
    final AtomicLong gets = new AtomicLong();
    final AtomicLong segmentGets = new AtomicLong();

    CountingStore(ObjectStore delegate) {
        super(delegate);
    }

    @Override
    public CompletableFuture<ObjectData> get(String key, ByteRange range) {
        gets.incrementAndGet();
        if (key.contains("/seg/")) {
            segmentGets.incrementAndGet();
        }
        return super.get(key, range);
    }

    void reset() {
        gets.set(0);
        segmentGets.set(0);
    }
}
