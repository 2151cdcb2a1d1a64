package io.hyperfile.core.lease;

import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.ObjectStore;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Reads, writes and deletes the lease object {@code P/lease} of the volume under prefix {@code P/}. Writes are plain
 * puts (the lease is advisory: the last writer wins, and fencing keeps writers apart). Stateless and thread-safe.
 */
public final class Leases {
    private Leases() {
    }

    public static String key(String prefix) {
        return SegmentKeys.lease(prefix);
    }

    /**
     * The volume's lease, or empty if it has none; fails with {@code CorruptionException} naming the key if the
     * object is not a lease record.
     */
    public static CompletableFuture<Optional<VolumeLease>> read(ObjectStore store, String prefix) {
        String key = key(prefix);
        return store.get(key, ByteRange.all()).handle((d, e) -> {
            if (e == null) {
                return Optional.of(VolumeLease.decode(key, d.data()));
            }
            Throwable cause = Exceptions.unwrap(e);
            if (cause instanceof ObjectNotFoundException) {
                return Optional.<VolumeLease>empty();
            }
            throw cause instanceof RuntimeException r ? r : new CompletionException(cause);
        });
    }

    /** Creates or replaces the volume's lease. */
    public static CompletableFuture<Void> write(ObjectStore store, String prefix, VolumeLease lease) {
        return store.put(key(prefix), lease.encode());
    }

    /** Deletes the volume's lease (deleting none succeeds). */
    public static CompletableFuture<Void> delete(ObjectStore store, String prefix) {
        return store.delete(key(prefix));
    }
}
