package io.hyperfile.core.crypto;

import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.encoding.Encryption;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ForwardingObjectStore;
import io.hyperfile.core.store.InvalidRangeException;
import io.hyperfile.core.store.ListPage;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.segment.SegmentKeys;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The store layer that encrypts the segments ({@code P/seg/...}) and garbage-collection live tables
 * ({@code P/gc/live/...}) of every encrypted volume ({@link VolumeDescriptor}'s encryption, format version 4) and
 * passes everything else through: the descriptor, key records, snapshots, leases and every object of an unencrypted
 * volume. Above it, code sees plaintext objects of plaintext sizes (reads of any range, listings, heads), so the
 * segment format, the index, GC and every tool work unchanged; below it (the read cache, retries, the backend)
 * only envelopes exist ({@link ObjectEnvelope}).
 *
 * <p>A volume's state is learned on first use from its descriptor and key records (a few GETs, and for a KMS key
 * one Decrypt per key version) and kept; a read of the descriptor that shows another volume id (deleted and created
 * again) drops it. A volume whose key was not given fails every segment access with a {@link KeyException} naming
 * it. A read that does not start at the object's first chunk needs the object's 40-byte header: remembered for the
 * last {@value #MAX_HEADERS} segments read or written, else fetched in parallel with the chunks.
 */
public final class EncryptingObjectStore extends ForwardingObjectStore {
    static final int MAX_HEADERS = 8192;
    private static final String SEG = "seg/";
    private static final String LIVE = "gc/live/";
    private final KeySource source;
    private final ConcurrentHashMap<String, CompletableFuture<VolumeCipher>> volumes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ObjectEnvelope.Header> headers = new ConcurrentHashMap<>();

    /** @param source the user's key, or null if none was given (encrypted volumes then cannot be opened) */
    public EncryptingObjectStore(ObjectStore delegate, KeySource source) {
        super(delegate);
        this.source = source;
    }

    /** The store below this layer (key records and descriptors are plain there too). */
    public ObjectStore plain() {
        return delegate;
    }

    /** The key source given, or null. */
    public KeySource keySource() {
        return source;
    }

    /** The volume prefix of an object this layer may encrypt ({@code P/seg/<20 digits>}, {@code P/gc/live/...}), or null. */
    static String prefixOf(String key) {
        int seg = key.lastIndexOf(SEG);
        if (seg >= 0 && key.length() - seg - SEG.length() == 20 && (seg == 0 || key.charAt(seg - 1) == '/')) {
            String prefix = key.substring(0, seg);
            if (SegmentKeys.parseSegment(prefix, key) > 0) {
                return prefix;
            }
        }
        int live = key.lastIndexOf(LIVE);
        if (live >= 0 && (live == 0 || key.charAt(live - 1) == '/') && key.indexOf('/', live + LIVE.length()) < 0) {
            return key.substring(0, live);
        }
        return null;
    }

    /** The volume state of {@code prefix}: null for an unencrypted (or missing) volume. */
    CompletableFuture<VolumeCipher> cipherFor(String prefix) {
        CompletableFuture<VolumeCipher> known = volumes.get(prefix);
        if (known != null) {
            return known;
        }
        CompletableFuture<VolumeCipher> loading = new CompletableFuture<>();
        CompletableFuture<VolumeCipher> raced = volumes.putIfAbsent(prefix, loading);
        if (raced != null) {
            return raced;
        }
        String descriptorKey = SegmentKeys.descriptor(prefix);
        delegate.get(descriptorKey, ByteRange.all()).thenCompose(d -> {
            VolumeDescriptor desc = VolumeDescriptor.decode(descriptorKey, d.data());
            if (!desc.encoding().isEncrypted()) {
                return CompletableFuture.completedFuture((VolumeCipher) null);
            }
            if (source == null) {
                throw new KeyException("volume " + Keyring.volumeName(prefix) + " is encrypted ("
                        + Encryption.AES_256_GCM.label() + "): give its key with --key-file FILE, --key-env VAR or"
                        + " --kms-key-id ARN");
            }
            return Keyring.load(delegate, prefix, desc.volumeId(), source)
                    .thenApply(k -> new VolumeCipher(delegate, prefix, desc.volumeId(), source, k));
        }).whenComplete((c, e) -> {
            if (e == null) {
                loading.complete(c);
                return;
            }
            // Not remembered: a missing volume may be created, a failure may pass.
            volumes.remove(prefix, loading);
            Throwable cause = Exceptions.unwrap(e);
            if (cause instanceof ObjectNotFoundException) {
                loading.complete(null);
            } else {
                loading.completeExceptionally(cause);
            }
        });
        return loading;
    }

    /** Forgets what this layer knows of the volume at {@code prefix} (its descriptor changed or went away). */
    private void forget(String prefix) {
        volumes.remove(prefix);
        headers.keySet().removeIf(k -> k.startsWith(prefix) && prefix.equals(prefixOf(k)));
    }

    /** A descriptor key's prefix, or null. */
    private static String descriptorPrefix(String key) {
        return key.endsWith("volume") && (key.length() == 6 || key.charAt(key.length() - 7) == '/')
                ? key.substring(0, key.length() - 6) : null;
    }

    @Override
    public CompletableFuture<ObjectData> get(String key, ByteRange range) {
        String prefix = prefixOf(key);
        if (prefix == null) {
            CompletableFuture<ObjectData> plain = delegate.get(key, range);
            String dp = descriptorPrefix(key);
            return dp == null ? plain : plain.thenApply(d -> {
                noticeDescriptor(dp, d);
                return d;
            });
        }
        return cipherFor(prefix).thenCompose(c -> c == null ? delegate.get(key, range) : read(c, key, range));
    }

    /**
     * Objects this layer passes through unchanged (of unencrypted volumes, and outside volumes) are read by the store
     * below, lending its memory; encrypted objects and descriptors are read as {@link #get} reads them.
     */
    @Override
    public <T> CompletableFuture<T> read(String key, ByteRange range, Function<ObjectData, T> reader) {
        String prefix = prefixOf(key);
        if (prefix == null) {
            return descriptorPrefix(key) == null ? delegate.read(key, range, reader) : get(key, range).thenApply(reader);
        }
        return cipherFor(prefix).thenCompose(c -> c == null ? delegate.read(key, range, reader)
                : read(c, key, range).thenApply(reader));
    }

    /** A descriptor read through this layer that names another volume than the one known makes it forget. */
    private void noticeDescriptor(String prefix, ObjectData d) {
        CompletableFuture<VolumeCipher> known = volumes.get(prefix);
        if (known == null || !known.isDone() || known.isCompletedExceptionally()) {
            return;
        }
        VolumeCipher c = known.join();
        try {
            VolumeDescriptor desc = VolumeDescriptor.decode(SegmentKeys.descriptor(prefix), d.data());
            if (desc.encoding().isEncrypted() != (c != null) || (c != null && !c.volumeId().equals(desc.volumeId()))) {
                forget(prefix);
            }
        } catch (RuntimeException damaged) {
            forget(prefix);
        }
    }

    private CompletableFuture<ObjectData> read(VolumeCipher c, String key, ByteRange range) {
        String name = key.substring(c.prefix().length());
        long firstChunk;
        ByteRange outer;
        if (range instanceof ByteRange.Span s) {
            firstChunk = s.offset() / ObjectEnvelope.CHUNK;
            long lastChunk = (s.offset() + s.length() - 1) / ObjectEnvelope.CHUNK;
            long end = ObjectEnvelope.chunkOffset(lastChunk + 1);
            long start = firstChunk == 0 ? 0 : ObjectEnvelope.chunkOffset(firstChunk);
            outer = ByteRange.of(start, end - start);
        } else if (range instanceof ByteRange.From f) {
            firstChunk = f.offset() / ObjectEnvelope.CHUNK;
            outer = firstChunk == 0 ? ByteRange.all() : ByteRange.from(ObjectEnvelope.chunkOffset(firstChunk));
        } else if (range instanceof ByteRange.Suffix s) {
            firstChunk = -1; // known once the size is
            outer = ByteRange.suffix(ObjectEnvelope.HEADER
                    + ((s.length() + ObjectEnvelope.CHUNK - 1) / ObjectEnvelope.CHUNK + 1) * ObjectEnvelope.STRIDE);
        } else {
            firstChunk = 0;
            outer = ByteRange.all();
        }
        ObjectEnvelope.Header cached = headers.get(key);
        boolean fromStart = firstChunk == 0;
        CompletableFuture<ObjectEnvelope.Header> header = cached != null || fromStart ? null
                : delegate.get(key, ByteRange.of(0, ObjectEnvelope.HEADER)).thenCompose(h -> c.header(key, name, h.data()));
        return delegate.get(key, outer).thenCompose(d -> {
            CompletableFuture<ObjectEnvelope.Header> h;
            if (d.offset() == 0) {
                h = c.header(key, name, d.data());
            } else if (cached != null) {
                h = CompletableFuture.completedFuture(cached);
            } else {
                h = header;
            }
            return h.thenApply(hd -> {
                remember(key, hd);
                return decrypt(key, range, d, hd);
            });
        });
    }

    private void remember(String key, ObjectEnvelope.Header h) {
        if (headers.size() >= MAX_HEADERS) {
            Iterator<String> it = headers.keySet().iterator();
            for (int i = 0; i < MAX_HEADERS / 4 && it.hasNext(); i++) {
                it.next();
                it.remove();
            }
        }
        headers.put(key, h);
    }

    /** Opens the chunks of {@code d} that {@code range} needs and returns exactly its plaintext. */
    private static ObjectData decrypt(String key, ByteRange range, ObjectData d, ObjectEnvelope.Header h) {
        long size = ObjectEnvelope.plaintextSize(d.objectSize());
        if (size < 0) {
            throw new CorruptionException(key, 0, "encrypted object of " + d.objectSize() + " bytes: no envelope has that size");
        }
        long from;
        long to;
        if (range instanceof ByteRange.Span s) {
            from = s.offset();
            to = Math.min(size, s.offset() + s.length());
        } else if (range instanceof ByteRange.From f) {
            from = f.offset();
            to = size;
        } else if (range instanceof ByteRange.Suffix s) {
            from = Math.max(0, size - s.length());
            to = size;
        } else {
            from = 0;
            to = size;
        }
        boolean positional = range instanceof ByteRange.Span || range instanceof ByteRange.From;
        if (positional && from >= size && !(size == 0 && from == 0 && range instanceof ByteRange.From)) {
            throw new InvalidRangeException(key, "range starts at " + from + " but the object has " + size + " bytes");
        }
        long first = from / ObjectEnvelope.CHUNK;
        long last = to == from ? first : (to - 1) / ObjectEnvelope.CHUNK;
        long need = ObjectEnvelope.chunkOffset(first);
        long needEnd = Math.min(d.objectSize(), ObjectEnvelope.chunkOffset(last + 1));
        int skip = (int) (need - d.offset());
        if (need < d.offset() || d.offset() + d.length() < needEnd) {
            throw new CorruptionException(key, d.offset(), "encrypted object: the store returned bytes " + d.offset() + ".."
                    + (d.offset() + d.length()) + ", which do not hold chunks " + first + ".." + last);
        }
        ByteBuffer src = d.data().duplicate();
        src.position(src.position() + skip);
        ByteBuffer plain = ObjectEnvelope.open(key, h, size, first, (int) (last - first + 1), src);
        plain.position((int) (from - first * ObjectEnvelope.CHUNK)).limit((int) (to - first * ObjectEnvelope.CHUNK));
        return new ObjectData(plain.slice(), from, size);
    }

    @Override
    public CompletableFuture<Void> put(String key, ByteBuffer data) {
        return write(key, data, false);
    }

    @Override
    public CompletableFuture<Void> create(String key, ByteBuffer data) {
        return write(key, data, true);
    }

    private CompletableFuture<Void> write(String key, ByteBuffer data, boolean create) {
        forgetObject(key);
        String prefix = prefixOf(key);
        if (prefix == null) {
            return create ? delegate.create(key, data) : delegate.put(key, data);
        }
        return cipherFor(prefix).thenCompose(c -> {
            if (c == null) {
                return create ? delegate.create(key, data) : delegate.put(key, data);
            }
            String name = key.substring(prefix.length());
            return c.seal(name, data).thenCompose(sealed -> {
                CompletableFuture<Void> written = create ? delegate.create(key, sealed.bytes())
                        : delegate.put(key, sealed.bytes());
                // Written by this process: its reads need not fetch the header.
                return written.thenRun(() -> remember(key, sealed.header()));
            });
        });
    }

    @Override
    public CompletableFuture<ObjectInfo> head(String key) {
        String prefix = prefixOf(key);
        if (prefix == null) {
            return delegate.head(key);
        }
        return cipherFor(prefix).thenCompose(c -> delegate.head(key).thenApply(info ->
                c == null || info == null ? info : plainInfo(info)));
    }

    private static ObjectInfo plainInfo(ObjectInfo info) {
        long size = ObjectEnvelope.plaintextSize(info.size());
        return new ObjectInfo(info.key(), size < 0 ? info.size() : size, info.lastModified());
    }

    @Override
    public CompletableFuture<ListPage> list(String prefix, String startAfter, int maxKeys) {
        return delegate.list(prefix, startAfter, maxKeys).thenCompose(page -> {
            List<CompletableFuture<ObjectInfo>> infos = new ArrayList<>();
            for (ObjectInfo info : page.objects()) {
                String p = prefixOf(info.key());
                infos.add(p == null ? CompletableFuture.completedFuture(info)
                        : cipherFor(p).thenApply(c -> c == null ? info : plainInfo(info)));
            }
            return CompletableFuture.allOf(infos.toArray(CompletableFuture[]::new)).thenApply(v -> {
                List<ObjectInfo> out = new ArrayList<>(infos.size());
                for (CompletableFuture<ObjectInfo> f : infos) {
                    out.add(f.join());
                }
                return new ListPage(out, page.nextStartAfter());
            });
        });
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
        forgetObject(key);
        return delegate.delete(key);
    }

    @Override
    public CompletableFuture<Void> deleteAll(java.util.Collection<String> keys) {
        keys.forEach(this::forgetObject);
        return delegate.deleteAll(keys);
    }

    /** Object {@code key} is about to change or go: forget its header, and the volume if it is a descriptor. */
    private void forgetObject(String key) {
        headers.remove(key);
        String dp = descriptorPrefix(key);
        if (dp != null) {
            forget(dp);
        }
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return "EncryptingObjectStore[" + delegate + "]";
    }
}
