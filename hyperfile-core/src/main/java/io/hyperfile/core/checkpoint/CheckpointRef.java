package io.hyperfile.core.checkpoint;

import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.ObjectStore;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * A name for one checkpoint of a volume, as users write it:
 *
 * <ul>
 *   <li>{@code NAME}: the newest durable checkpoint;</li>
 *   <li>{@code NAME@SNAP}: the checkpoint snapshot {@code SNAP} pins;</li>
 *   <li>{@code NAME@seq:N}: segment {@code N}'s checkpoint ({@code N} = 0: the volume before its first segment);</li>
 *   <li>{@code NAME@time:T}: the newest checkpoint written at or before {@code T}, an ISO-8601 instant such as
 *       {@code 2026-12-04T10:15:00Z} (footers carry their creation time).</li>
 * </ul>
 *
 * {@link #parse} checks the syntax only; {@link #resolve} finds the checkpoint's seq in the store and fails with
 * {@link ObjectNotFoundException} (a one-line message naming what is missing) if there is none. A checkpoint older
 * than the newest is readable only while garbage collection keeps it: snapshots always, others for the grace period
 * (docs/GC.md). Immutable.
 *
 * @param volume   the volume name
 * @param kind     which form the reference has
 * @param snapshot the snapshot name ({@link Kind#SNAPSHOT}), else null
 * @param seq      the segment seq ({@link Kind#SEQ}), else 0
 * @param time     the instant ({@link Kind#TIME}), else null
 */
public record CheckpointRef(String volume, Kind kind, String snapshot, long seq, Instant time) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final String SEQ = "seq:";
    private static final String TIME = "time:";

    /** The forms of a reference. */
    public enum Kind { NEWEST, SNAPSHOT, SEQ, TIME }

    public CheckpointRef {
        Objects.requireNonNull(volume, "volume");
        Objects.requireNonNull(kind, "kind");
    }

    /** The newest checkpoint of {@code volume}. */
    public static CheckpointRef newest(String volume) {
        return new CheckpointRef(checkVolume(volume, volume), Kind.NEWEST, null, 0, null);
    }

    /** Snapshot {@code snapshot} of {@code volume}. */
    public static CheckpointRef ofSnapshot(String volume, String snapshot) {
        return new CheckpointRef(checkVolume(volume, volume), Kind.SNAPSHOT, Snapshots.checkName(snapshot), 0, null);
    }

    /** Segment {@code seq}'s checkpoint of {@code volume}. */
    public static CheckpointRef ofSeq(String volume, long seq) {
        if (seq < 0) {
            throw new IllegalArgumentException("checkpoint seq must be non-negative: " + volume + "@seq:" + seq);
        }
        return new CheckpointRef(checkVolume(volume, volume), Kind.SEQ, null, seq, null);
    }

    /**
     * Parses {@code NAME}, {@code NAME@SNAP}, {@code NAME@seq:N} or {@code NAME@time:T}; an
     * {@link IllegalArgumentException} with a one-line message for anything else.
     */
    public static CheckpointRef parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty checkpoint reference: use NAME, NAME@SNAPSHOT, NAME@seq:N or NAME@time:ISO-8601");
        }
        int at = text.indexOf('@');
        if (at < 0) {
            return newest(text);
        }
        String volume = checkVolume(text.substring(0, at), text);
        String rest = text.substring(at + 1);
        if (rest.startsWith(SEQ)) {
            String digits = rest.substring(SEQ.length());
            if (!digits.matches("[0-9]{1,19}")) {
                throw new IllegalArgumentException("bad checkpoint seq in '" + text + "': expected NAME@seq:N with N a non-negative number");
            }
            try {
                return ofSeq(volume, Long.parseLong(digits));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("checkpoint seq out of range in '" + text + "'");
            }
        }
        if (rest.startsWith(TIME)) {
            try {
                return new CheckpointRef(volume, Kind.TIME, null, 0, Instant.parse(rest.substring(TIME.length())));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("bad time in '" + text + "': expected NAME@time:2026-12-04T10:15:00Z (ISO-8601, UTC)");
            }
        }
        if (!NAME.matcher(rest).matches()) {
            throw new IllegalArgumentException("bad snapshot name in '" + text + "': use NAME@SNAPSHOT (1 to 64 characters of"
                    + " A-Z a-z 0-9 . _ -), NAME@seq:N or NAME@time:ISO-8601");
        }
        return ofSnapshot(volume, rest);
    }

    private static String checkVolume(String volume, String text) {
        if (volume == null || !NAME.matcher(volume).matches()) {
            throw new IllegalArgumentException("invalid volume name in '" + text + "': use 1 to 64 characters of"
                    + " A-Z a-z 0-9 . _ -, starting with a letter or digit");
        }
        return volume;
    }

    /** Whether this names the volume's newest checkpoint (the writable head), not a fixed point in time. */
    public boolean isNewest() {
        return kind == Kind.NEWEST;
    }

    /** The volume's prefix in the store. */
    public String prefix() {
        return volume + "/";
    }

    /**
     * The seq of the checkpoint this names (0: the empty volume). Fails with {@link ObjectNotFoundException} if the
     * snapshot, segment or a checkpoint at that time does not exist.
     */
    public CompletableFuture<Long> resolve(ObjectStore store) {
        String p = prefix();
        return switch (kind) {
            case NEWEST -> newest(store, p);
            case SNAPSHOT -> Snapshots.resolve(store, p, snapshot).exceptionallyCompose(e -> CompletableFuture.failedFuture(
                    notFound(e, "no snapshot " + this)));
            case SEQ -> seq == 0 ? CompletableFuture.completedFuture(0L)
                    : store.head(SegmentKeys.segment(p, seq)).thenApply(info -> {
                        if (info == null) {
                            throw new ObjectNotFoundException(SegmentKeys.segment(p, seq), "no checkpoint " + this
                                    + " (never written, or deleted by garbage collection)");
                        }
                        return seq;
                    });
            case TIME -> resolveTime(store, p);
        };
    }

    /** The newest segment, or for a clone without one of its own yet, its base checkpoint (docs/CLONES.md). */
    private static CompletableFuture<Long> newest(ObjectStore store, String p) {
        String dk = SegmentKeys.descriptor(p);
        return store.get(dk, ByteRange.all()).thenApply(d -> VolumeDescriptor.decode(dk, d.data()))
                .thenCompose(desc -> CheckpointLocator.newestSegment(store, p)
                        .thenApply(seq -> desc.isClone() ? Math.max(seq, desc.borrowedUpTo()) : seq));
    }

    private static Throwable notFound(Throwable e, String message) {
        Throwable cause = Exceptions.unwrap(e);
        return cause instanceof ObjectNotFoundException nf ? new ObjectNotFoundException(nf.key(), message) : cause;
    }

    /**
     * Binary search over the segments still stored, by footer creation time (seq order is time order for one
     * writer at a time; a clock step backwards between writers can only make the answer an adjacent checkpoint).
     * Reads the descriptor and O(log segments) footers.
     */
    private CompletableFuture<Long> resolveTime(ObjectStore store, String p) {
        String dk = SegmentKeys.descriptor(p);
        long at = time.toEpochMilli();
        return store.get(dk, ByteRange.all()).thenApply(d -> VolumeDescriptor.decode(dk, d.data()))
                .thenCompose(desc -> {
                    if (desc.createdMillis() > at) {
                        throw new ObjectNotFoundException(dk, "no checkpoint " + this + ": the volume was created later, at "
                                + Instant.ofEpochMilli(desc.createdMillis()));
                    }
                    SegmentReader reader = new SegmentReader(store, p, desc.blockSizeBytes());
                    return CheckpointLocator.allSegments(store, p).thenCompose(seqs -> search(reader, seqs, at, 0, seqs.size())
                            .thenApply(seq -> {
                                if (seq == 0 && !seqs.isEmpty() && seqs.get(0) != 1) {
                                    throw new ObjectNotFoundException(SegmentKeys.segment(p, seqs.get(0) - 1), "no checkpoint "
                                            + this + ": the checkpoints of that time were deleted by garbage collection (the"
                                            + " oldest kept is seq " + seqs.get(0) + ")");
                                }
                                return seq;
                            }));
                });
    }

    /** The newest seq in {@code seqs[lo..hi)} written at or before {@code at}; 0 if none (the empty volume). */
    private static CompletableFuture<Long> search(SegmentReader reader, List<Long> seqs, long at, int lo, int hi) {
        if (lo >= hi) {
            return CompletableFuture.completedFuture(lo == 0 ? 0L : seqs.get(lo - 1));
        }
        int mid = (lo + hi) >>> 1;
        return reader.footer(seqs.get(mid)).thenCompose((SegmentFooter f) -> f.createdMillis() <= at
                ? search(reader, seqs, at, mid + 1, hi) : search(reader, seqs, at, lo, mid));
    }

    /** The canonical text form, which {@link #parse} reads back. */
    @Override
    public String toString() {
        return switch (kind) {
            case NEWEST -> volume;
            case SNAPSHOT -> volume + "@" + snapshot;
            case SEQ -> volume + "@seq:" + seq;
            case TIME -> volume + "@time:" + time;
        };
    }
}
