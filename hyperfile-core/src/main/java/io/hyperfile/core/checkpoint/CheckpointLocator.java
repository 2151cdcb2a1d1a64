package io.hyperfile.core.checkpoint;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.Exceptions;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a volume's newest segment without listing its whole history: the {@code head} hint names a sequence
 * number known to be durable, and only segments from there on are listed. The hint is only a starting point:
 * the segments themselves decide (a hint that is missing, unreadable or ahead of the segments is ignored and the
 * full listing used). One case is not ignored: a hint naming a durable segment while the volume has no segment at
 * all means the segments were deleted, and opening the volume empty would silently lose its data; that is reported
 * as corruption naming the hint. Stateless and thread-safe.
 */
public final class CheckpointLocator {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointLocator.class);

    private CheckpointLocator() {
    }

    /** The newest segment's seq, or 0 if the volume has none. */
    public static CompletableFuture<Long> newestSegment(ObjectStore store, String prefix) {
        return readHint(store, prefix).thenCompose(hint -> {
            String startAfter = hint > 1 ? SegmentKeys.segment(prefix, hint - 1) : null;
            return store.listAll(SegmentKeys.segmentPrefix(prefix), startAfter).thenCompose(found -> {
                long newest = newest(prefix, found);
                if (newest == 0 && hint > 0) {
                    LOG.warn("hint {} names segment {} but no segment from there on exists; listing all segments",
                            SegmentKeys.hint(prefix), hint);
                    return store.listAll(SegmentKeys.segmentPrefix(prefix), null).thenApply(all -> {
                        long any = newest(prefix, all);
                        if (any == 0) {
                            throw new CorruptionException(SegmentKeys.hint(prefix), 0, "the hint says segment " + hint
                                    + " is durable but the volume has no segments: they were deleted (a half-deleted volume?)");
                        }
                        return any;
                    });
                }
                return CompletableFuture.completedFuture(newest);
            });
        });
    }

    /** Every segment seq of the volume, ascending. */
    public static CompletableFuture<List<Long>> allSegments(ObjectStore store, String prefix) {
        return store.listAll(SegmentKeys.segmentPrefix(prefix), null).thenApply(all -> all.stream()
                .mapToLong(o -> SegmentKeys.parseSegment(prefix, o.key())).filter(s -> s > 0).boxed().toList());
    }

    /** Records that {@code seq} is durable, as a starting point for the next open. */
    public static CompletableFuture<Void> writeHint(ObjectStore store, String prefix, long seq) {
        return store.put(SegmentKeys.hint(prefix), ByteBuffer.wrap((seq + "\n").getBytes(StandardCharsets.US_ASCII)));
    }

    private static CompletableFuture<Long> readHint(ObjectStore store, String prefix) {
        String key = SegmentKeys.hint(prefix);
        return store.get(key, ByteRange.all()).handle((d, failure) -> {
            if (failure != null) {
                if (!(Exceptions.unwrap(failure) instanceof ObjectNotFoundException)) {
                    LOG.warn("cannot read hint {}, listing all segments: {}", key, failure.toString());
                }
                return 0L;
            }
            String text = new String(d.toByteArray(), StandardCharsets.US_ASCII).trim();
            try {
                return Math.max(0, Long.parseLong(text));
            } catch (NumberFormatException e) {
                LOG.warn("hint {} is not a number ({}); listing all segments", key, text);
                return 0L;
            }
        });
    }

    private static long newest(String prefix, List<ObjectInfo> found) {
        long newest = 0;
        for (ObjectInfo o : found) {
            newest = Math.max(newest, SegmentKeys.parseSegment(prefix, o.key()));
        }
        return newest;
    }
}
