package io.hyperfile.core.store;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Validates arguments once for every store, turns exceptions thrown by the hooks into failed futures, and splits
 * batch deletes. Implementations supply the protected {@code do…Async} hooks, which may assume valid arguments.
 */
public abstract class AbstractObjectStore implements ObjectStore {
    private final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public final CompletableFuture<ObjectData> get(String key, ByteRange range) {
        ObjectKeys.validate(key);
        if (range == null) {
            throw new IllegalArgumentException("range must not be null (use ByteRange.all())");
        }
        return call(() -> doGetAsync(key, range));
    }

    @Override
    public final <T> CompletableFuture<T> read(String key, ByteRange range, Function<ObjectData, T> reader) {
        ObjectKeys.validate(key);
        if (range == null) {
            throw new IllegalArgumentException("range must not be null (use ByteRange.all())");
        }
        if (reader == null) {
            throw new IllegalArgumentException("reader must not be null");
        }
        return call(() -> doReadAsync(key, range, reader));
    }

    @Override
    public final CompletableFuture<Void> put(String key, ByteBuffer data) {
        ObjectKeys.validate(key);
        checkData(data);
        return call(() -> doPutAsync(key, data.duplicate()));
    }

    @Override
    public final CompletableFuture<Void> create(String key, ByteBuffer data) {
        ObjectKeys.validate(key);
        checkData(data);
        return call(() -> doCreateAsync(key, data.duplicate()));
    }

    @Override
    public final CompletableFuture<ObjectInfo> head(String key) {
        ObjectKeys.validate(key);
        return call(() -> doHeadAsync(key));
    }

    @Override
    public final CompletableFuture<ListPage> list(String prefix, String startAfter, int maxKeys) {
        ObjectKeys.validatePrefix(prefix);
        if (maxKeys < 1 || maxKeys > MAX_LIST_KEYS) {
            throw new IllegalArgumentException("maxKeys must be in 1.." + MAX_LIST_KEYS + ". maxKeys=" + maxKeys);
        }
        if (startAfter != null && startAfter.isEmpty()) {
            startAfter = null;
        }
        String after = startAfter;
        return call(() -> doListAsync(prefix, after, maxKeys));
    }

    @Override
    public final CompletableFuture<Void> delete(String key) {
        ObjectKeys.validate(key);
        return call(() -> doDeleteAsync(key));
    }

    @Override
    public final CompletableFuture<Void> deleteAll(Collection<String> keys) {
        if (keys == null) {
            throw new IllegalArgumentException("keys must not be null");
        }
        List<String> unique = new ArrayList<>(new LinkedHashSet<>(keys));
        unique.forEach(ObjectKeys::validate);
        int batch = capabilities().maxDeleteBatch();
        List<CompletableFuture<List<String>>> parts = new ArrayList<>();
        for (int i = 0; i < unique.size(); i += batch) {
            List<String> part = List.copyOf(unique.subList(i, Math.min(unique.size(), i + batch)));
            parts.add(call(() -> doDeleteBatchAsync(part)));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<String> failed = new ArrayList<>();
            parts.forEach(p -> failed.addAll(p.join()));
            if (!failed.isEmpty()) {
                throw new StorageException(failed.get(0), FailureCategory.UNKNOWN, "could not delete " + failed.size()
                        + " of " + unique.size() + " keys, first: " + failed.subList(0, Math.min(5, failed.size())));
            }
            return null;
        });
    }

    @Override
    public final void close() {
        if (closed.compareAndSet(false, true)) {
            doClose();
        }
    }

    protected final boolean isClosed() {
        return closed.get();
    }

    protected abstract CompletableFuture<ObjectData> doGetAsync(String key, ByteRange range);

    /** {@link #read}: by default {@link #doGetAsync} then the reader; stores that can lend memory they reuse override it. */
    protected <T> CompletableFuture<T> doReadAsync(String key, ByteRange range, Function<ObjectData, T> reader) {
        return doGetAsync(key, range).thenApply(reader);
    }

    protected abstract CompletableFuture<Void> doPutAsync(String key, ByteBuffer data);

    protected abstract CompletableFuture<Void> doCreateAsync(String key, ByteBuffer data);

    protected abstract CompletableFuture<ObjectInfo> doHeadAsync(String key);

    protected abstract CompletableFuture<ListPage> doListAsync(String prefix, String startAfter, int maxKeys);

    protected abstract CompletableFuture<Void> doDeleteAsync(String key);

    /** Deletes one batch; returns the keys that could not be deleted (empty when all went). */
    protected abstract CompletableFuture<List<String>> doDeleteBatchAsync(List<String> keys);

    protected abstract void doClose();

    private <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> op) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(new IllegalStateException("store is closed: " + this));
        }
        try {
            return op.get();
        } catch (RuntimeException | Error e) {
            // An Error (say, OutOfMemoryError) fails this request instead of escaping into the caller's thread,
            // where it would leave futures that never complete.
            return CompletableFuture.failedFuture(e);
        }
    }

    private static void checkData(ByteBuffer data) {
        if (data == null) {
            throw new IllegalArgumentException("data must not be null");
        }
    }

    /**
     * Applies a range to an object of {@code size} bytes held as {@code [start, end)} absolute positions, with the
     * rules of {@link ByteRange}. Stores that read ranges themselves (memory, local) share it.
     */
    protected static long[] resolve(String key, ByteRange range, long size) {
        long start;
        long end;
        if (range instanceof ByteRange.All) {
            start = 0;
            end = size;
        } else if (range instanceof ByteRange.Suffix s) {
            start = Math.max(0, size - s.length());
            end = size;
        } else if (range instanceof ByteRange.Span s) {
            start = s.offset();
            end = Math.min(size, s.offset() + s.length());
        } else {
            start = ((ByteRange.From) range).offset();
            end = size;
        }
        if (start >= size && !(range instanceof ByteRange.All || range instanceof ByteRange.Suffix)) {
            throw new InvalidRangeException(key,
                    "range " + range.httpHeader() + " starts at or beyond the end of " + key + " (size " + size + ")");
        }
        return new long[] {start, end};
    }
}
