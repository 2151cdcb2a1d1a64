package io.hyperfile.core.checkpoint;

import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * Named snapshots of a volume: {@code P/snap/<name>} holds a {@link SnapshotRecord} naming the checkpoint it pins
 * (snapshots of older builds hold the seq in ASCII, still read). Created conditionally (a name is never silently
 * moved). Any checkpoint can be opened read-only; a snapshot gives one a name and keeps garbage collection from
 * deleting what it needs. Stateless and thread-safe.
 */
public final class Snapshots {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private Snapshots() {
    }

    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid snapshot name '" + name + "': use 1 to 64 characters of"
                    + " A-Z a-z 0-9 . _ -, starting with a letter or digit");
        }
        return name;
    }

    public static String key(String prefix, String name) {
        return prefix + "snap/" + checkName(name);
    }

    /** Pins checkpoint {@code seq} as {@code name}; fails with {@code ObjectExistsException} if the name is taken. */
    public static CompletableFuture<Void> create(ObjectStore store, String prefix, String name, long seq) {
        return store.create(key(prefix, name), new SnapshotRecord(seq).encode());
    }

    /**
     * The checkpoint {@code name} pins; fails with {@code ObjectNotFoundException} if there is no such snapshot and
     * with {@code CorruptionException} naming its key if the object is not a snapshot record.
     */
    public static CompletableFuture<Long> resolve(ObjectStore store, String prefix, String name) {
        String key = key(prefix, name);
        return store.get(key, ByteRange.all()).thenApply(d -> SnapshotRecord.decode(key, d.data()).seq());
    }

    /** The names of the volume's snapshots, in order, without reading them (see {@link #resolve}). */
    public static CompletableFuture<List<String>> names(ObjectStore store, String prefix) {
        String snapPrefix = prefix + "snap/";
        return store.listAll(snapPrefix, null).thenApply(all -> all.stream()
                .map(o -> o.key().substring(snapPrefix.length())).filter(n -> NAME.matcher(n).matches()).toList());
    }

    /**
     * Every snapshot of the volume, by name, with the checkpoint it pins. Fails as a whole (with the corruption
     * naming the key) if one snapshot object is garbled; use {@link #names} and {@link #resolve} to read them one by
     * one.
     */
    public static CompletableFuture<Map<String, Long>> list(ObjectStore store, String prefix) {
        return store.listAll(prefix + "snap/", null).thenCompose(all -> {
            Map<String, Long> out = new LinkedHashMap<>();
            CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
            for (ObjectInfo o : all) {
                String name = o.key().substring((prefix + "snap/").length());
                chain = chain.thenCompose(v -> store.get(o.key(), ByteRange.all())
                        .thenAccept(d -> out.put(name, SnapshotRecord.decode(o.key(), d.data()).seq())));
            }
            return chain.thenApply(v -> out);
        });
    }

    public static CompletableFuture<Void> delete(ObjectStore store, String prefix, String name) {
        return store.delete(key(prefix, name));
    }
}
