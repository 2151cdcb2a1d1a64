package io.hyperfile.core.cache;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.format.FormatVersion;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.UnclosableObjectStore;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import java.util.UUID;

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
        CachingObjectStore cached = new CachingObjectStore(new UnclosableObjectStore(store), config);
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
}
