package io.hyperfile.core.crypto;

import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.ByteRange;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A volume's data keys, unwrapped: one per key version ({@code P/key/<version>}, {@link KeyRecord}). New objects
 * are sealed with the newest version; every version stays readable, so rotating ({@link #rotate}) changes the key
 * of new segments without rewriting old ones, and rewrapping ({@link #rewrap}) moves every version under a new
 * user key without touching a segment. Immutable.
 */
public final class Keyring {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final String volumeName;
    private final UUID volumeId;
    private final TreeMap<Integer, byte[]> keys;

    private Keyring(String volumeName, UUID volumeId, TreeMap<Integer, byte[]> keys) {
        this.volumeName = volumeName;
        this.volumeId = volumeId;
        this.keys = keys;
    }

    public UUID volumeId() {
        return volumeId;
    }

    public boolean isEmpty() {
        return keys.isEmpty();
    }

    /** The version new objects are sealed with. */
    public int newestVersion() {
        return keys.lastKey();
    }

    /** The versions held, ascending. */
    public List<Integer> versions() {
        return List.copyOf(keys.keySet());
    }

    /** Data key {@code version}, or null if this keyring does not hold it. */
    byte[] key(int version) {
        return keys.get(version);
    }

    /** The volume name from a prefix {@code NAME/}. */
    static String volumeName(String prefix) {
        return prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }

    /** Reads every key record of the volume at {@code prefix} and unwraps it with {@code source}. */
    public static CompletableFuture<Keyring> load(ObjectStore store, String prefix, UUID volumeId, KeySource source) {
        String name = volumeName(prefix);
        return records(store, prefix).thenApply(records -> {
            TreeMap<Integer, byte[]> keys = new TreeMap<>();
            for (KeyRecord r : records) {
                if (!r.volumeId().equals(volumeId)) {
                    throw new KeyException("volume " + name + ": key version " + r.keyVersion() + " belongs to volume "
                            + r.volumeId() + ", not to this one (" + volumeId + ")");
                }
                keys.put(r.keyVersion(), source.unwrap(name, r));
            }
            return new Keyring(name, volumeId, keys);
        });
    }

    /** The key records of the volume at {@code prefix}, by ascending version (wrapped; no key needed). */
    public static CompletableFuture<List<KeyRecord>> records(ObjectStore store, String prefix) {
        return store.listAll(KeyRecord.directory(prefix), null).thenCompose(infos -> {
            List<CompletableFuture<KeyRecord>> reads = new ArrayList<>();
            for (ObjectInfo info : infos) {
                reads.add(store.get(info.key(), ByteRange.all()).thenApply(d -> {
                    KeyRecord r = KeyRecord.decode(info.key(), d.data());
                    if (!KeyRecord.key(prefix, r.keyVersion()).equals(info.key())) {
                        throw new KeyException("volume " + volumeName(prefix) + ": " + info.key() + " holds key version "
                                + r.keyVersion());
                    }
                    return r;
                }));
            }
            return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> {
                List<KeyRecord> out = new ArrayList<>();
                for (CompletableFuture<KeyRecord> f : reads) {
                    out.add(f.join());
                }
                out.sort((a, b) -> Integer.compare(a.keyVersion(), b.keyVersion()));
                return out;
            });
        });
    }

    /**
     * Adds a new data key as version (newest + 1), wrapped by {@code source}, and returns the keyring that holds it.
     * Written with a conditional create, so two rotations racing make two versions, never one overwritten.
     */
    public CompletableFuture<Keyring> rotate(ObjectStore store, String prefix, KeySource source) {
        int version = keys.isEmpty() ? 1 : keys.lastKey() + 1;
        byte[] dek = new byte[LocalKeySource.KEY_BYTES];
        RANDOM.nextBytes(dek);
        KeyRecord record = source.wrap(volumeId, version, dek);
        return store.create(KeyRecord.key(prefix, version), record.encode()).handle((v, e) -> {
            if (e != null && Exceptions.unwrap(e) instanceof ObjectExistsException) {
                return null; // another writer added this version first: reload
            }
            if (e != null) {
                throw e instanceof CompletionException c ? c : new CompletionException(e);
            }
            TreeMap<Integer, byte[]> more = new TreeMap<>(keys);
            more.put(version, dek);
            return new Keyring(volumeName, volumeId, more);
        }).thenCompose(k -> k != null ? CompletableFuture.completedFuture(k) : load(store, prefix, volumeId, source));
    }

    /** An empty keyring of a volume that has no key records yet. */
    public static Keyring empty(String prefix, UUID volumeId) {
        return new Keyring(volumeName(prefix), volumeId, new TreeMap<>());
    }

    /**
     * Wraps every data key again with {@code to} (replacing each record in place), after checking that each unwraps
     * with {@code from} or already with {@code to} (so an interrupted rewrap finishes when run again with both keys).
     * Returns the versions rewrapped.
     */
    public static CompletableFuture<List<Integer>> rewrap(ObjectStore store, String prefix, UUID volumeId,
            KeySource from, KeySource to) {
        String name = volumeName(prefix);
        return records(store, prefix).thenCompose(records -> {
            List<CompletableFuture<Void>> writes = new ArrayList<>();
            List<Integer> done = new ArrayList<>();
            for (KeyRecord r : records) {
                byte[] dek;
                try {
                    dek = to.unwrap(name, r);
                    continue; // already under the new key
                } catch (KeyException notYet) {
                    dek = from.unwrap(name, r);
                }
                KeyRecord again = to.wrap(volumeId, r.keyVersion(), dek);
                writes.add(store.put(KeyRecord.key(prefix, r.keyVersion()), again.encode()));
                done.add(r.keyVersion());
            }
            return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
                    .thenApply(v -> Collections.unmodifiableList(done));
        });
    }

    @Override
    public String toString() {
        return "Keyring[" + volumeName + ", versions " + keys.keySet() + "]";
    }
}
