package io.hyperfile.core.cache;

import io.hyperfile.core.segment.SegmentHeader;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectStore;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this process knows about which object each segment key names ({@link SegmentIdentity}). The cache serves a
 * chunk only if its entry records the identity known here for its segment, so every cached byte served was checked
 * against the store in this process or written or fetched by it:
 * <ul>
 *   <li>{@link #resolve} checks a segment against the store once: one GET of its {@value SegmentHeader#BYTES}-byte
 *       header (the writer id, and the object size the store reports with it), at most one in flight per segment.
 *       The answer is remembered; a failed check (store down, object gone, not a segment) is not, and is asked
 *       again by the next read;
 *   <li>{@link #learn}: this process wrote the segment, or read its header, so it knows the object without asking;
 *   <li>{@link #forget} and {@link #distrust}: the segment was deleted through the cache, or a fetch showed that the
 *       store now holds another object under the key.
 * </ul>
 * At most {@value #MAX_REMEMBERED} segments are remembered; beyond that some are forgotten and checked again when
 * next read. Thread-safe.
 */
final class SegmentIdentities {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentIdentities.class);
    static final int MAX_REMEMBERED = 1 << 16;

    private final ObjectStore store;
    private final CacheCounters counters;
    private final ConcurrentHashMap<SegmentName, CompletableFuture<SegmentIdentity>> known = new ConcurrentHashMap<>();

    SegmentIdentities(ObjectStore store, CacheCounters counters) {
        this.store = store;
        this.counters = counters;
    }

    /** The identity of {@code segment} if this process knows it already, else null. Never waits or asks the store. */
    SegmentIdentity known(SegmentName segment) {
        CompletableFuture<SegmentIdentity> f = known.get(segment);
        return f == null ? null : f.getNow(null);
    }

    /**
     * The identity of the object under {@code key} (the key of {@code segment}): at once if known, else after one
     * GET of its header (shared with any check of it already in flight). Completes with null, never fails, if the
     * check cannot be made or the object has no valid header: the caller must then not serve cached bytes.
     */
    CompletableFuture<SegmentIdentity> resolve(SegmentName segment, String key) {
        CompletableFuture<SegmentIdentity> f = known.get(segment);
        if (f != null) {
            return f;
        }
        CompletableFuture<SegmentIdentity> mine = new CompletableFuture<>();
        f = known.putIfAbsent(segment, mine);
        if (f != null) {
            return f;
        }
        trim();
        counters.verifications.increment();
        CompletableFuture<ObjectData> header;
        try {
            header = store.get(key, ByteRange.of(0, SegmentHeader.BYTES));
        } catch (RuntimeException e) {
            header = CompletableFuture.failedFuture(e);
        }
        header.whenComplete((d, failure) -> {
            SegmentIdentity id = null;
            if (failure != null) {
                LOG.debug("could not check which object {} is; its cached chunks are not used: {}", key, failure.toString());
            } else if (d.offset() == 0) {
                id = SegmentIdentity.of(key, segment.seq(), d.data(), d.objectSize());
            }
            if (id == null) {
                known.remove(segment, mine);
            }
            mine.complete(id);
        });
        return mine;
    }

    /** This process knows that {@code segment} is now the object {@code identity} (it wrote it or read its header). */
    void learn(SegmentName segment, SegmentIdentity identity) {
        if (known.put(segment, CompletableFuture.completedFuture(identity)) == null) {
            trim();
        }
    }

    /** The object under {@code segment} is gone or unknown: check it again before serving its chunks. */
    void forget(SegmentName segment) {
        known.remove(segment);
    }

    /** The store showed another object than {@code identity} under {@code segment}: check it again (if not re-learned). */
    void distrust(SegmentName segment, SegmentIdentity identity) {
        CompletableFuture<SegmentIdentity> f = known.get(segment);
        if (f != null && identity.equals(f.getNow(null))) {
            known.remove(segment, f);
        }
    }

    /** Keeps the memo bounded: when it is over the limit, forgets settled entries (in no particular order). */
    private void trim() {
        if (known.size() <= MAX_REMEMBERED) {
            return;
        }
        int drop = known.size() - MAX_REMEMBERED * 3 / 4;
        for (Iterator<CompletableFuture<SegmentIdentity>> it = known.values().iterator(); it.hasNext() && drop > 0; ) {
            if (it.next().isDone()) {
                it.remove();
                drop--;
            }
        }
    }
}
