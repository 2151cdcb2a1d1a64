package io.hyperfile.core.store.memory;

import io.hyperfile.core.store.AbstractObjectStore;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ListPage;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectKeys;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.StoreCapabilities;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * An object store in a map, for tests and tools. Same semantics as the others, conditional create included.
 * Operations run on the calling thread; their futures complete on the given executor (the calling thread by
 * default), so tests stay deterministic. Thread-safe.
 */
public final class InMemoryObjectStore extends AbstractObjectStore {
    private static final StoreCapabilities CAPABILITIES = new StoreCapabilities(true, true, 1000, ObjectKeys.MAX_KEY_BYTES);

    private record Entry(byte[] data, Instant lastModified) {
    }

    private final ConcurrentNavigableMap<String, Entry> objects = new ConcurrentSkipListMap<>(ObjectKeys.ORDER);
    private final Clock clock;
    private final Executor completionExecutor;

    public InMemoryObjectStore() {
        this(Clock.systemUTC(), Runnable::run);
    }

    public InMemoryObjectStore(Clock clock, Executor completionExecutor) {
        this.clock = clock;
        this.completionExecutor = completionExecutor;
    }

    @Override
    public StoreCapabilities capabilities() {
        return CAPABILITIES;
    }

    /** Number of objects held. */
    public int objectCount() {
        return objects.size();
    }

    /** Total bytes held. */
    public long totalBytes() {
        return objects.values().stream().mapToLong(e -> e.data.length).sum();
    }

    @Override
    protected CompletableFuture<ObjectData> doGetAsync(String key, ByteRange range) {
        return complete(() -> {
            Entry e = objects.get(key);
            if (e == null) {
                throw new ObjectNotFoundException(key, "no such object: " + key);
            }
            long[] r = resolve(key, range, e.data.length);
            // Stored arrays are never changed (a put replaces the entry), so a read-only view needs no copy.
            return new ObjectData(ByteBuffer.wrap(e.data, (int) r[0], (int) (r[1] - r[0])).slice().asReadOnlyBuffer(),
                    r[0], e.data.length);
        });
    }

    @Override
    protected CompletableFuture<Void> doPutAsync(String key, ByteBuffer data) {
        return complete(() -> {
            objects.put(key, new Entry(toArray(data), clock.instant()));
            return null;
        });
    }

    @Override
    protected CompletableFuture<Void> doCreateAsync(String key, ByteBuffer data) {
        return complete(() -> {
            if (objects.putIfAbsent(key, new Entry(toArray(data), clock.instant())) != null) {
                throw new ObjectExistsException(key);
            }
            return null;
        });
    }

    @Override
    protected CompletableFuture<ObjectInfo> doHeadAsync(String key) {
        return complete(() -> {
            Entry e = objects.get(key);
            return e == null ? null : new ObjectInfo(key, e.data.length, e.lastModified);
        });
    }

    @Override
    protected CompletableFuture<ListPage> doListAsync(String prefix, String startAfter, int maxKeys) {
        return complete(() -> {
            ConcurrentNavigableMap<String, Entry> tail = startAfter == null || ObjectKeys.compareUtf8(startAfter, prefix) < 0
                    ? objects.tailMap(prefix, true) : objects.tailMap(startAfter, false);
            List<ObjectInfo> page = new ArrayList<>();
            for (Map.Entry<String, Entry> e : tail.entrySet()) {
                if (!e.getKey().startsWith(prefix)) {
                    break;
                }
                if (page.size() == maxKeys) {
                    return new ListPage(page, page.get(page.size() - 1).key());
                }
                page.add(new ObjectInfo(e.getKey(), e.getValue().data.length, e.getValue().lastModified));
            }
            return new ListPage(page, null);
        });
    }

    @Override
    protected CompletableFuture<Void> doDeleteAsync(String key) {
        return complete(() -> {
            objects.remove(key);
            return null;
        });
    }

    @Override
    protected CompletableFuture<List<String>> doDeleteBatchAsync(List<String> keys) {
        return complete(() -> {
            keys.forEach(objects::remove);
            return List.of();
        });
    }

    @Override
    protected void doClose() {
    }

    private <T> CompletableFuture<T> complete(Supplier<T> op) {
        CompletableFuture<T> result = new CompletableFuture<>();
        T value;
        try {
            value = op.get();
        } catch (RuntimeException e) {
            completionExecutor.execute(() -> result.completeExceptionally(e));
            return result;
        }
        completionExecutor.execute(() -> result.complete(value));
        return result;
    }

    private static byte[] toArray(ByteBuffer data) {
        byte[] bytes = new byte[data.remaining()];
        data.duplicate().get(bytes);
        return bytes;
    }

    @Override
    public String toString() {
        return "InMemoryObjectStore[" + objects.size() + " objects]";
    }
}
