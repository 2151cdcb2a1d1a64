package io.hyperfile.core.cache;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.format.FormatVersion;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ListPage;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.StoreCapabilities;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/** Helpers for the cache tests: fake volumes (a descriptor and segment objects of random bytes) and a store that outlives its wrappers. */
final class CacheTesting {
    static final int CHUNK = 4096;

    private CacheTesting() {
    }

    static CacheConfig config(Path dir, int chunks) {
        return CacheConfig.builder(dir, (long) chunks * CHUNK).chunkSizeBytes(CHUNK).build();
    }

    /** Opens a cache over {@code store} and waits until it is ready. */
    static CachingObjectStore openReady(ObjectStore store, CacheConfig config) {
        CachingObjectStore cached = new CachingObjectStore(new KeepOpen(store), config);
        assertEquals(CacheState.READY, await(cached.opened()));
        return cached;
    }

    /** Creates the descriptor of a volume with a new id under {@code prefix} (directly in {@code store}). */
    static UUID createVolume(ObjectStore store, String prefix) {
        UUID id = UUID.randomUUID();
        VolumeDescriptor d = new VolumeDescriptor(FormatVersion.CURRENT, 4096, 1L << 30, 1 << 23, 4096, id, 0);
        await(store.create(SegmentKeys.descriptor(prefix), d.encode()));
        return id;
    }

    /** Creates segment {@code seq} of {@code size} random bytes under {@code prefix} and returns its bytes. */
    static byte[] createSegment(ObjectStore store, String prefix, long seq, int size, long seed) {
        byte[] bytes = random(size, seed);
        await(store.create(SegmentKeys.segment(prefix, seq), ByteBuffer.wrap(bytes)));
        return bytes;
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] read(ObjectStore store, String key, long offset, long length) {
        ObjectData d = await(store.get(key, ByteRange.of(offset, length)));
        assertEquals(offset, d.offset());
        return d.toByteArray();
    }

    static byte[] slice(byte[] bytes, long offset, long length) {
        int end = (int) Math.min(bytes.length, offset + length);
        byte[] out = new byte[end - (int) offset];
        System.arraycopy(bytes, (int) offset, out, 0, out.length);
        return out;
    }

    /** Passes everything to a store but {@link #close}, so one store can serve a cache, its restart, and checks. */
    static final class KeepOpen implements ObjectStore {
        private final ObjectStore delegate;

        KeepOpen(ObjectStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public StoreCapabilities capabilities() {
            return delegate.capabilities();
        }

        @Override
        public CompletableFuture<ObjectData> get(String key, ByteRange range) {
            return delegate.get(key, range);
        }

        @Override
        public CompletableFuture<Void> put(String key, ByteBuffer data) {
            return delegate.put(key, data);
        }

        @Override
        public CompletableFuture<Void> create(String key, ByteBuffer data) {
            return delegate.create(key, data);
        }

        @Override
        public CompletableFuture<ObjectInfo> head(String key) {
            return delegate.head(key);
        }

        @Override
        public CompletableFuture<ListPage> list(String prefix, String startAfter, int maxKeys) {
            return delegate.list(prefix, startAfter, maxKeys);
        }

        @Override
        public CompletableFuture<Void> delete(String key) {
            return delegate.delete(key);
        }

        @Override
        public CompletableFuture<Void> deleteAll(Collection<String> keys) {
            return delegate.deleteAll(keys);
        }

        @Override
        public void close() {
        }
    }
}
