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
import io.hyperfile.core.segment.SegmentHeader;
import io.hyperfile.core.segment.SegmentReader;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableSet;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a volume's newest <em>complete</em> checkpoint without listing its whole history (docs/FORMAT.md, "Finding
 * the newest checkpoint"). A writer may have several segments on their way to the store at once, and they may land
 * in any order; each footer records its floor, the newest seq that was durable when it was finished. Checkpoint
 * {@code N} is complete when every seq in {@code (floor(N), N)} exists and was written by {@code N}'s writer: its
 * index may point into exactly those. Segments above the newest complete checkpoint are orphans of a writer that
 * stopped with uploads in flight; they are never opened, and the next writer claims a seq above all of them.
 *
 * <p>The {@code head} hint names a seq known to be durable, and only segments from there on are listed. The hint is
 * only a starting point: the segments themselves decide (a hint that is missing, unreadable or ahead of the
 * segments is ignored and the full listing used). One case is not ignored: a hint naming a durable segment while the
 * volume has no segment at all means the segments were deleted, and opening the volume empty would silently lose
 * its data; that is reported as corruption naming the hint. Stateless and thread-safe.
 */
public final class CheckpointLocator {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointLocator.class);
    /** How many segments below a candidate a grace-checkpoint search looks at before giving up (safe: it holds more). */
    private static final int MAX_CANDIDATES_BELOW = 256;

    private CheckpointLocator() {
    }

    /**
     * Where a volume's log stands: {@code checkpoint}, the newest complete checkpoint (0: none, the empty volume),
     * and {@code highest}, the highest seq stored (above {@code checkpoint} only when there are orphans). A writer
     * claims {@code highest + 1}.
     */
    public record Located(long checkpoint, long highest) {
    }

    /** The newest complete checkpoint's seq, or 0 if the volume has none. */
    public static CompletableFuture<Long> newestSegment(ObjectStore store, String prefix) {
        return locate(store, prefix).thenApply(Located::checkpoint);
    }

    /** The newest complete checkpoint and the highest stored seq (see {@link Located}). */
    public static CompletableFuture<Located> locate(ObjectStore store, String prefix) {
        return readHint(store, prefix).thenCompose(hint -> {
            String startAfter = hint > 1 ? SegmentKeys.segment(prefix, hint - 1) : null;
            return listSeqs(store, prefix, startAfter).thenCompose(found -> {
                if (found.isEmpty() && hint > 0) {
                    LOG.warn("hint {} names segment {} but no segment from there on exists; listing all segments",
                            SegmentKeys.hint(prefix), hint);
                    return listSeqs(store, prefix, null).thenCompose(all -> {
                        if (all.isEmpty()) {
                            throw new CorruptionException(SegmentKeys.hint(prefix), 0, "the hint says segment " + hint
                                    + " is durable but the volume has no segments: they were deleted (a half-deleted volume?)");
                        }
                        return located(store, prefix, all, 1);
                    });
                }
                return located(store, prefix, found, startAfter == null ? 1 : hint);
            });
        });
    }

    /**
     * The newest complete checkpoint among {@code listed} (a listing of every segment seq of the volume) that is at
     * most {@code atMost}; 0 if there is none. Looks at no more than a few hundred candidates below the first one.
     */
    public static CompletableFuture<Long> newestCompleteAmong(ObjectStore store, String prefix, NavigableSet<Long> listed,
            long atMost) {
        SegmentReader reader = new SegmentReader(store, prefix, 0);
        return newestComplete(reader, listed, listed.headSet(atMost, true).descendingIterator(), MAX_CANDIDATES_BELOW);
    }

    private static CompletableFuture<Located> located(ObjectStore store, String prefix, NavigableSet<Long> listed,
            long listedFrom) {
        if (listed.isEmpty()) {
            return CompletableFuture.completedFuture(new Located(0, 0));
        }
        long highest = listed.last();
        SegmentReader reader = new SegmentReader(store, prefix, 0);
        return newestCompleteCovered(reader, listed, listedFrom).thenCompose(cp -> {
            if (cp != null) {
                return CompletableFuture.completedFuture(new Located(cp, highest));
            }
            if (listedFrom > 1) { // not complete in the part listed from the hint: the rest decides
                return listSeqs(store, prefix, null).thenCompose(all -> located(store, prefix, all, 1));
            }
            throw new CorruptionException(SegmentKeys.segment(prefix, highest), 0, "none of the volume's " + listed.size()
                    + " segments is a complete checkpoint: each misses a segment its index may point into");
        });
    }

    /**
     * The newest complete checkpoint whose check the listing covers (it starts at {@code listedFrom}); null if a
     * candidate needs seqs below it, or none is complete.
     */
    private static CompletableFuture<Long> newestCompleteCovered(SegmentReader reader, NavigableSet<Long> listed,
            long listedFrom) {
        return candidate(reader, listed, listed.descendingIterator(), listedFrom, Integer.MAX_VALUE);
    }

    private static CompletableFuture<Long> newestComplete(SegmentReader reader, NavigableSet<Long> listed,
            Iterator<Long> candidates, int budget) {
        return candidate(reader, listed, candidates, 1, budget).thenApply(cp -> cp == null ? 0L : cp);
    }

    private static CompletableFuture<Long> candidate(SegmentReader reader, NavigableSet<Long> listed,
            Iterator<Long> candidates, long listedFrom, int budget) {
        if (!candidates.hasNext() || budget <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        long n = candidates.next();
        return reader.footer(n).thenCompose(f -> {
            long floor = f.floor();
            if (floor >= n - 1) {
                return CompletableFuture.completedFuture((Long) n);
            }
            if (floor + 1 < listedFrom) {
                return CompletableFuture.completedFuture((Long) null); // the listing does not cover its check
            }
            return sameWriter(reader, listed, floor, n).thenCompose(complete -> {
                if (complete) {
                    return CompletableFuture.completedFuture((Long) n);
                }
                LOG.info("segment {} is not a complete checkpoint: a segment in ({}, {}) is missing or another writer's;"
                        + " it is an orphan", n, floor, n);
                return candidate(reader, listed, candidates, listedFrom, budget - 1);
            });
        });
    }

    /** Whether every seq in {@code (floor, n)} is listed and was written by {@code n}'s writer. */
    private static CompletableFuture<Boolean> sameWriter(SegmentReader reader, NavigableSet<Long> listed, long floor, long n) {
        for (long k = floor + 1; k < n; k++) {
            if (!listed.contains(k)) {
                return CompletableFuture.completedFuture(false);
            }
        }
        List<CompletableFuture<SegmentHeader>> headers = new ArrayList<>();
        for (long k = floor + 1; k <= n; k++) {
            headers.add(reader.header(k));
        }
        return CompletableFuture.allOf(headers.toArray(CompletableFuture[]::new)).thenApply(v -> {
            UUID writer = headers.get(headers.size() - 1).join().writerId();
            return headers.stream().allMatch(h -> h.join().writerId().equals(writer));
        });
    }

    private static CompletableFuture<NavigableSet<Long>> listSeqs(ObjectStore store, String prefix, String startAfter) {
        return store.listAll(SegmentKeys.segmentPrefix(prefix), startAfter).thenApply(found -> {
            TreeSet<Long> seqs = new TreeSet<>();
            for (ObjectInfo o : found) {
                long seq = SegmentKeys.parseSegment(prefix, o.key());
                if (seq > 0) {
                    seqs.add(seq);
                }
            }
            return seqs;
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

}
