package io.hyperfile.core.store;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A flat key-value object store: the only thing Hyperfile keeps a volume in.
 *
 * <p>Guarantees every implementation gives (checked by {@code AbstractObjectStoreContractTest}):
 * <ul>
 *   <li>Every method returns at once; failures arrive through the future, never as a thrown exception, except
 *       {@link IllegalArgumentException} for arguments that break the documented rules (bad key, bad range).
 *   <li>A completed {@link #put} or {@link #create} is durable and atomic: a reader sees the old object or the
 *       whole new one, never a part, and a crash after completion does not lose it.
 *   <li>{@link #create} is a conditional create: when the key exists it fails with
 *       {@link ObjectExistsException} and leaves the object alone. With
 *       {@link StoreCapabilities#conditionalCreate()} this holds against concurrent writers: of any number of
 *       concurrent creates of one key, exactly one succeeds.
 *   <li>Listings are in ascending UTF-8 byte order of the keys and page with {@code startAfter}.
 *   <li>Failures are {@link StorageException}s carrying a {@link FailureCategory}; a missing object is
 *       {@link ObjectNotFoundException}. Implementations do not retry (beyond the one resend the S3 client cannot
 *       be stopped from making): {@link RetryingObjectStore} does, in one place, for every store, and bounds every
 *       attempt with a timeout.
 * </ul>
 *
 * <p>Buffers passed to {@code put}/{@code create} are read from position to limit without moving the caller's
 * position, and must not change until the future completes. Buffers returned by {@code get} belong to the caller.
 * Implementations are thread-safe.
 */
public interface ObjectStore extends AutoCloseable {

    /** The most keys one {@link #list} page may return (S3's limit). */
    int MAX_LIST_KEYS = 1000;

    StoreCapabilities capabilities();

    /** Reads {@code range} of the object; fails with {@link ObjectNotFoundException} if it does not exist. */
    CompletableFuture<ObjectData> get(String key, ByteRange range);

    /**
     * Reads {@code range} of the object, as {@link #get}, and applies {@code reader} to the bytes while the store
     * still holds them; completes with what the reader returns, or fails with what it throws (a reader's failure is
     * never retried). The buffer handed to the reader is lent, not given: a store may reuse it once the reader
     * returns, so a reader copies out what it keeps and does not hand the buffer to another thread. This lets a store
     * read into memory it reuses (the local directory store) or lend bytes it holds (segments still uploading), where
     * {@code get} must hand out a buffer of the caller's own. The reader runs once, on whichever thread the data is
     * ready on, and only if the read succeeded; it must not call into this store while it runs.
     *
     * <p>This default costs what {@code get} costs. Wrappers that change what {@code get} returns must not forward
     * {@code read} to the store they wrap, unless they apply the same change.
     */
    default <T> CompletableFuture<T> read(String key, ByteRange range, Function<ObjectData, T> reader) {
        return get(key, range).thenApply(reader);
    }

    /** Creates or replaces the object. */
    CompletableFuture<Void> put(String key, ByteBuffer data);

    /** Creates the object only if the key does not exist; otherwise fails with {@link ObjectExistsException}. */
    CompletableFuture<Void> create(String key, ByteBuffer data);

    /** Size and time of the object, or {@code null} if it does not exist. */
    CompletableFuture<ObjectInfo> head(String key);

    /**
     * One page of the keys that start with {@code prefix} and sort after {@code startAfter} (null: from the
     * start), at most {@code maxKeys} ({@code 1..}{@value #MAX_LIST_KEYS}) of them.
     */
    CompletableFuture<ListPage> list(String prefix, String startAfter, int maxKeys);

    /** Deletes the object; deleting a missing object succeeds. */
    CompletableFuture<Void> delete(String key);

    /**
     * Deletes every key given, in batches of at most {@link StoreCapabilities#maxDeleteBatch()}. Missing keys count
     * as deleted. If some keys could not be deleted the future fails with a {@link StorageException} naming them;
     * the others are gone.
     */
    CompletableFuture<Void> deleteAll(Collection<String> keys);

    /** Every key under {@code prefix} after {@code startAfter}, following pages to the end. */
    default CompletableFuture<List<ObjectInfo>> listAll(String prefix, String startAfter) {
        List<ObjectInfo> all = new ArrayList<>();
        return listFrom(prefix, startAfter, all).thenApply(v -> all);
    }

    private CompletableFuture<Void> listFrom(String prefix, String startAfter, List<ObjectInfo> into) {
        return list(prefix, startAfter, MAX_LIST_KEYS).thenCompose(page -> {
            into.addAll(page.objects());
            return page.isTruncated() ? listFrom(prefix, page.nextStartAfter(), into)
                    : CompletableFuture.completedFuture(null);
        });
    }

    /** Releases clients and threads. Operations still running may fail. */
    @Override
    void close();
}
