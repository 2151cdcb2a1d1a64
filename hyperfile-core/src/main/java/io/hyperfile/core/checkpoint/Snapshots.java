package io.hyperfile.core.checkpoint;

import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * Named snapshots of a volume: {@code P/snap/<name>} holds the sequence number of the checkpoint it pins, in ASCII
 * decimal with a newline. Created conditionally (a name is never silently moved). Any checkpoint can be opened
 * read-only; a snapshot gives one a name and keeps garbage collection from deleting what it needs.
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
        return store.create(key(prefix, name), ByteBuffer.wrap((seq + "\n").getBytes(StandardCharsets.US_ASCII)));
    }

    /** The checkpoint {@code name} pins; fails with {@code ObjectNotFoundException} if there is no such snapshot. */
    public static CompletableFuture<Long> resolve(ObjectStore store, String prefix, String name) {
        String key = key(prefix, name);
        return store.get(key, ByteRange.all()).thenApply(d -> parse(key, d.toByteArray()));
    }

    /** Every snapshot of the volume, by name, with the checkpoint it pins. */
    public static CompletableFuture<Map<String, Long>> list(ObjectStore store, String prefix) {
        return store.listAll(prefix + "snap/", null).thenCompose(all -> {
            Map<String, Long> out = new LinkedHashMap<>();
            CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
            for (ObjectInfo o : all) {
                String name = o.key().substring((prefix + "snap/").length());
                chain = chain.thenCompose(v -> store.get(o.key(), ByteRange.all())
                        .thenAccept(d -> out.put(name, parse(o.key(), d.toByteArray()))));
            }
            return chain.thenApply(v -> out);
        });
    }

    public static CompletableFuture<Void> delete(ObjectStore store, String prefix, String name) {
        return store.delete(key(prefix, name));
    }

    private static long parse(String key, byte[] bytes) {
        String text = new String(bytes, StandardCharsets.US_ASCII).trim();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new io.hyperfile.core.CorruptionException(key, 0, "snapshot does not hold a checkpoint number: '" + text + "'");
        }
    }

}
