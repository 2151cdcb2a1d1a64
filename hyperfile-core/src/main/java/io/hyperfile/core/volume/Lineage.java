package io.hyperfile.core.volume;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.ObjectStore;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Whose segments a volume reads (docs/CLONES.md). A volume created empty owns every segment seq. A clone owns the
 * seqs after its base seq B; seqs up to B are its parent's, read from the parent's prefix, and, if the parent is a
 * clone too, seqs up to the parent's own base are the grandparent's, and so on. Index node pointers and extents carry
 * only seqs, so a clone's index, rooted at its parent's checkpoint B, reads the parent's nodes and data through
 * {@link #view} without any change. Immutable and thread-safe.
 */
public final class Lineage {
    /** How many ancestors a lineage may have: a guard against a cycle of descriptors in a damaged store. */
    static final int MAX_DEPTH = 64;

    /** One volume of the lineage: segment seqs above {@code baseSeq} (up to the previous level's base) are its own. */
    public record Level(String prefix, String name, UUID volumeId, long baseSeq) {
    }

    private final List<Level> levels;

    private Lineage(List<Level> levels) {
        this.levels = List.copyOf(levels);
    }

    /** The lineage of a volume that reads only its own segments. */
    public static Lineage own(String prefix, VolumeDescriptor desc) {
        return new Lineage(List.of(new Level(prefix, nameOf(prefix), desc.volumeId(), 0)));
    }

    /**
     * Reads the ancestors' descriptors: the lineage of the volume under {@code prefix} with descriptor {@code desc}.
     * Fails with {@link CorruptionException} naming the parent's descriptor if a parent is missing or is another
     * volume than the one cloned (deleted and created again under the same name).
     */
    public static CompletableFuture<Lineage> resolve(ObjectStore store, String prefix, VolumeDescriptor desc) {
        if (!desc.isClone()) {
            return CompletableFuture.completedFuture(own(prefix, desc));
        }
        List<Level> levels = new ArrayList<>();
        levels.add(new Level(prefix, nameOf(prefix), desc.volumeId(), desc.origin().baseSeq()));
        return up(store, desc, levels).thenApply(v -> new Lineage(levels));
    }

    private static CompletableFuture<Void> up(ObjectStore store, VolumeDescriptor child, List<Level> levels) {
        String parentPrefix = child.origin().parentName() + "/";
        String key = SegmentKeys.descriptor(parentPrefix);
        if (levels.size() > MAX_DEPTH) {
            return CompletableFuture.failedFuture(new CorruptionException(key, 0, "lineage deeper than " + MAX_DEPTH
                    + " volumes (a cycle of clone descriptors?)"));
        }
        return store.get(key, ByteRange.all()).handle((d, e) -> {
            if (e != null) {
                Throwable cause = Exceptions.unwrap(e);
                if (cause instanceof ObjectNotFoundException) {
                    throw new CorruptionException(key, 0, "parent volume " + child.origin().parentName()
                            + " of clone " + levels.get(levels.size() - 1).name() + " is missing");
                }
                throw cause instanceof RuntimeException re ? re : new CompletionException(cause);
            }
            VolumeDescriptor parent = VolumeDescriptor.decode(key, d.data());
            if (!parent.volumeId().equals(child.origin().parentId())) {
                throw new CorruptionException(key, 0, "parent volume " + child.origin().parentName() + " has id "
                        + parent.volumeId() + ", but the clone was made from id " + child.origin().parentId());
            }
            return parent;
        }).thenCompose(parent -> {
            long base = parent.isClone() ? parent.origin().baseSeq() : 0;
            levels.add(new Level(parentPrefix, child.origin().parentName(), parent.volumeId(), base));
            return parent.isClone() ? up(store, parent, levels) : CompletableFuture.completedFuture(null);
        });
    }

    private static String nameOf(String prefix) {
        return prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }

    /** The volume itself, then its parent, grandparent, ... */
    public List<Level> levels() {
        return levels;
    }

    /** Segment seqs up to this one are borrowed (0: the volume reads only its own). */
    public long baseSeq() {
        return levels.get(0).baseSeq();
    }

    public boolean isClone() {
        return levels.size() > 1;
    }

    /** The level that owns segment {@code seq}. */
    public Level owner(long seq) {
        for (Level l : levels) {
            if (seq > l.baseSeq()) {
                return l;
            }
        }
        return levels.get(levels.size() - 1);
    }

    /** The id that segment {@code seq}'s header must carry. */
    public UUID expectedVolumeId(long seq) {
        return owner(seq).volumeId();
    }

    /** {@code store} as this volume sees it: reads of borrowed segments go to their owner (see {@link LineageStore}). */
    public ObjectStore view(ObjectStore store) {
        return isClone() ? new LineageStore(store, this) : store;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Level l : levels) {
            b.append(b.length() == 0 ? "" : " <- ").append(l.name()).append(l.baseSeq() > 0 ? "@" + l.baseSeq() : "");
        }
        return b.toString();
    }
}
