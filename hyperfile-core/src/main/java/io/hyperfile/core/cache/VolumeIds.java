package io.hyperfile.core.cache;

import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The volume id of each volume prefix, read once from the immutable descriptor {@code <prefix>volume} and
 * remembered. Writes and deletes of a descriptor through the cache update or forget the memo, so a volume deleted
 * and created again in this process gets its new id. Thread-safe.
 */
final class VolumeIds {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeIds.class);

    private final ObjectStore store;
    private final ConcurrentHashMap<String, CompletableFuture<UUID>> ids = new ConcurrentHashMap<>();

    VolumeIds(ObjectStore store) {
        this.store = store;
    }

    /**
     * The id of the volume under {@code prefix}; completes with null (never fails) if there is no readable
     * descriptor. A missing or unreadable descriptor is remembered; a store failure is asked again next time.
     */
    CompletableFuture<UUID> resolve(String prefix) {
        CompletableFuture<UUID> known = ids.get(prefix);
        if (known != null) {
            return known;
        }
        CompletableFuture<UUID> mine = new CompletableFuture<>();
        known = ids.putIfAbsent(prefix, mine);
        if (known != null) {
            return known;
        }
        String key = SegmentKeys.descriptor(prefix);
        try {
            store.get(key, ByteRange.all()).whenComplete((d, failure) -> {
                if (failure == null) {
                    mine.complete(decode(key, d.data()));
                } else {
                    if (!(Exceptions.unwrap(failure) instanceof ObjectNotFoundException)) {
                        ids.remove(prefix, mine);
                    }
                    LOG.debug("no volume id for {}: reads there bypass the cache: {}", prefix, failure.toString());
                    mine.complete(null);
                }
            });
        } catch (RuntimeException e) {
            ids.remove(prefix, mine);
            mine.complete(null);
        }
        return mine;
    }

    /** A descriptor was written through the cache: remember its id (or forget the prefix if it does not decode). */
    void learn(String prefix, ByteBuffer descriptor) {
        UUID id = decode(SegmentKeys.descriptor(prefix), descriptor);
        if (id == null) {
            ids.remove(prefix);
        } else {
            ids.put(prefix, CompletableFuture.completedFuture(id));
        }
    }

    void forget(String prefix) {
        ids.remove(prefix);
    }

    private static UUID decode(String key, ByteBuffer bytes) {
        try {
            return VolumeDescriptor.decode(key, bytes).volumeId();
        } catch (RuntimeException e) {
            LOG.debug("{} is not a volume descriptor; reads of its segments bypass the cache: {}", key, e.toString());
            return null;
        }
    }
}
