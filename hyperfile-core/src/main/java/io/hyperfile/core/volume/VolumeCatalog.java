package io.hyperfile.core.volume;

import io.hyperfile.core.checkpoint.CheckpointLocator;
import io.hyperfile.core.checkpoint.CheckpointRef;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ListPage;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;

/**
 * The volumes of one store, by name: volume {@code NAME} lives under the prefix {@code NAME/}. Names are 1 to 64
 * characters of {@code [A-Za-z0-9._-]}, starting with a letter or digit. Thread-safe.
 */
public final class VolumeCatalog {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** Sorts after every key Hyperfile writes under a volume prefix (they are ASCII). */
    private static final String AFTER_ALL = "\uDBFF\uDFFF";

    private final ObjectStore store;

    public VolumeCatalog(ObjectStore store) {
        this.store = store;
    }

    public ObjectStore store() {
        return store;
    }

    /** Throws {@link IllegalArgumentException} if {@code name} is not a valid volume name. */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid volume name '" + name + "': use 1 to 64 characters of"
                    + " A-Z a-z 0-9 . _ -, starting with a letter or digit");
        }
        return name;
    }

    /**
     * Creates volume {@code name}; fails with {@code ObjectExistsException} if it exists. Invalid options (see
     * {@link VolumeOptions#validate()}) throw {@link IllegalArgumentException} before anything is written.
     */
    public CompletableFuture<VolumeDescriptor> create(String name, VolumeOptions options, Clock clock) {
        checkName(name);
        options.validate();
        return Volume.create(store, name + "/", options, clock);
    }

    /** Opens volume {@code name} for reading and writing. */
    public CompletableFuture<Volume> open(String name, VolumeConfig config) {
        return Volume.open(store, checkName(name) + "/", name, config);
    }

    /**
     * A read-only view of the volume's newest checkpoint. It never writes (no claim, no hint), so reading a volume
     * that a server is writing does not disturb the server.
     */
    public CompletableFuture<Volume> openNewestReadOnly(String name, VolumeConfig config) {
        String p = checkName(name) + "/";
        return newestCheckpoint(name).thenCompose(seq -> Volume.openReadOnlyAt(store, p, name, config, seq));
    }

    /**
     * The seq of volume {@code name}'s newest checkpoint (0: empty): its newest segment, or, for a clone that has
     * none of its own yet, the parent's checkpoint it was cloned from.
     */
    public CompletableFuture<Long> newestCheckpoint(String name) {
        String p = checkName(name) + "/";
        return VolumeOpener.described(store, p).thenCompose(d -> VolumeOpener.newestSeq(store, p, d.lineage()));
    }

    /**
     * Creates volume {@code clone} from snapshot {@code snapshot} of volume {@code parent}, writing two objects
     * (docs/CLONES.md); see {@link Clones#create}.
     */
    public CompletableFuture<VolumeDescriptor> createClone(String parent, String snapshot, String clone, Clock clock) {
        return Clones.create(store, parent, snapshot, clone, clock);
    }

    /**
     * A read-only view of the checkpoint {@code ref} names (the newest, a snapshot's, {@code @seq:N} or
     * {@code @time:T}); fails with {@code ObjectNotFoundException} if there is no such checkpoint. Like
     * {@link #openNewestReadOnly}, it never writes.
     */
    public CompletableFuture<Volume> openReadOnly(CheckpointRef ref, VolumeConfig config) {
        return ref.resolve(store).thenCompose(seq -> Volume.openReadOnlyAt(store, ref.prefix(), ref.toString(), config, seq));
    }

    /** Whether volume {@code name} exists. */
    public CompletableFuture<Boolean> exists(String name) {
        return store.head(SegmentKeys.descriptor(checkName(name) + "/")).thenApply(info -> info != null);
    }

    /**
     * Whether {@code name} is a half-deleted volume: no descriptor, but Hyperfile objects (segments, snapshots, a
     * hint, a lease) under its prefix. {@link #delete} finishes it.
     */
    public CompletableFuture<Boolean> isIncomplete(String name) {
        return exists(name).thenCompose(exists -> exists ? CompletableFuture.completedFuture(false)
                : store.list(name + "/", null, 1).thenApply(page -> !page.objects().isEmpty()
                        && looksLikeVolume(name, page.objects().get(0).key())));
    }

    /** The names of every volume in the store, in order. One listing request per volume. */
    public CompletableFuture<List<String>> list() {
        return scan().thenApply(Scan::volumes);
    }

    /**
     * What a listing of the store found: the volumes, and the names whose prefix holds Hyperfile objects (segments,
     * snapshots, a hint, a lease) but no descriptor: half-deleted volumes, which cannot be opened; {@link #delete} finishes
     * them.
     */
    public record Scan(List<String> volumes, List<String> incomplete) {
    }

    /** Lists the store: its volumes and its incomplete (half-deleted) volumes, each in order. */
    public CompletableFuture<Scan> scan() {
        List<String> names = new ArrayList<>();
        List<String> incomplete = new ArrayList<>();
        return listFrom(null, names, incomplete).thenApply(v -> new Scan(List.copyOf(names), List.copyOf(incomplete)));
    }

    private CompletableFuture<Void> listFrom(String startAfter, List<String> names, List<String> incomplete) {
        return store.list("", startAfter, 1).thenCompose((ListPage page) -> {
            if (page.objects().isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            String key = page.objects().get(0).key();
            int slash = key.indexOf('/');
            if (slash < 0) {
                return listFrom(key, names, incomplete);
            }
            String name = key.substring(0, slash);
            String next = name + "/" + AFTER_ALL;
            if (startAfter != null && startAfter.startsWith(name + "/")) {
                next = key; // a key beyond our marker: step over it
            }
            String resume = next;
            if (!NAME.matcher(name).matches() || isLast(names, name) || isLast(incomplete, name)) {
                return listFrom(resume, names, incomplete);
            }
            return store.head(SegmentKeys.descriptor(name + "/")).thenCompose(info -> {
                if (info != null) {
                    names.add(name);
                } else if (looksLikeVolume(name, key)) {
                    incomplete.add(name);
                }
                return listFrom(resume, names, incomplete);
            });
        });
    }

    private static boolean isLast(List<String> names, String name) {
        return !names.isEmpty() && names.get(names.size() - 1).equals(name);
    }

    /** Whether {@code firstKey}, the first key under {@code name/}, is one Hyperfile writes beside the descriptor. */
    private static boolean looksLikeVolume(String name, String firstKey) {
        String prefix = name + "/";
        return firstKey.equals(SegmentKeys.hint(prefix)) || firstKey.equals(SegmentKeys.lease(prefix))
                || firstKey.equals(SegmentKeys.resizeRequest(prefix)) || firstKey.startsWith(SegmentKeys.segmentPrefix(prefix))
                || firstKey.startsWith(prefix + "snap/") || firstKey.startsWith(prefix + "gc/");
    }

    /** What a volume is and holds, as of its newest checkpoint. */
    public record VolumeInfo(String name, VolumeDescriptor descriptor, long newestSeq, long sizeBytes, long extentCount,
            long mappedBytes) {
    }

    /** Facts about volume {@code name} (fails with {@code ObjectNotFoundException} if it does not exist). */
    public CompletableFuture<VolumeInfo> info(String name) {
        String prefix = checkName(name) + "/";
        String key = SegmentKeys.descriptor(prefix);
        return VolumeOpener.described(store, prefix)
                .thenCompose(d -> VolumeOpener.newestSeq(store, prefix, d.lineage()).thenCompose(newest -> {
                    VolumeDescriptor desc = d.desc();
                    if (newest == 0) {
                        return CompletableFuture.completedFuture(new VolumeInfo(name, desc, 0, desc.sizeBytes(), 0, 0));
                    }
                    return new SegmentReader(d.store(), prefix, desc.blockSizeBytes()).footer(newest).thenApply((SegmentFooter f) ->
                            new VolumeInfo(name, desc, newest, f.volumeSizeBytes(), f.extentCount(),
                                    f.mappedBlocks() * desc.blockSizeBytes()));
                }));
    }

    /**
     * Deletes volume {@code name} and every object under its prefix: the descriptor first (so the volume is gone at
     * once), then the rest in batches, reporting the running count of deleted objects. Run it again to finish a
     * delete that failed half-way. The volume must not be open anywhere. Refused with {@link IllegalStateException}
     * while clones read the volume (docs/CLONES.md); a clone's link in its parent goes last.
     */
    public CompletableFuture<Long> delete(String name, LongConsumer progress) {
        String prefix = checkName(name) + "/";
        String key = SegmentKeys.descriptor(prefix);
        return Clones.live(store, name).thenCompose(clones -> {
            if (!clones.isEmpty()) {
                throw new IllegalStateException("volume " + name + " has clones that read its segments: "
                        + String.join(", ", clones) + " (delete them or 'hyperfile volume flatten' them first)");
            }
            return store.get(key, ByteRange.all()).handle((d, e) -> e == null ? Clones.decodeOrNull(key, d.data()) : null);
        }).thenCompose(desc -> store.delete(key).thenCompose(v -> deleteFrom(prefix, 1, progress))
                .thenCompose(n -> desc == null ? CompletableFuture.completedFuture(n)
                        : Clones.unlink(store, name, desc).thenApply(v -> n)));
    }

    private CompletableFuture<Long> deleteFrom(String prefix, long deleted, LongConsumer progress) {
        return store.list(prefix, null, ObjectStore.MAX_LIST_KEYS).thenCompose(page -> {
            if (page.objects().isEmpty()) {
                return CompletableFuture.completedFuture(deleted);
            }
            List<String> keys = page.objects().stream().map(ObjectInfo::key).toList();
            return store.deleteAll(keys).thenCompose(v -> {
                long now = deleted + keys.size();
                progress.accept(now);
                return deleteFrom(prefix, now, progress);
            });
        });
    }
}
