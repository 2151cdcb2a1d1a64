package io.hyperfile.core.cache;

import static io.hyperfile.core.cache.CacheTesting.CHUNK;
import static io.hyperfile.core.cache.CacheTesting.config;
import static io.hyperfile.core.cache.CacheTesting.createSegment;
import static io.hyperfile.core.cache.CacheTesting.createVolume;
import static io.hyperfile.core.cache.CacheTesting.openReady;
import static io.hyperfile.core.cache.CacheTesting.read;
import static io.hyperfile.core.cache.CacheTesting.slice;
import static io.hyperfile.core.cache.CacheTesting.writer;
import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cached chunks belong to one object: a copy of a volume (same volume id, another prefix), a segment rolled back and
 * rewritten, or a cache directory shared by stores never gets another object's bytes, and checking that costs at most
 * one small GET per segment per process.
 */
class CacheIdentityTest {
    private static final String V = "v/";
    private static final String W = "w/";
    private static final String V1 = SegmentKeys.segment(V, 1);
    private static final String W1 = SegmentKeys.segment(W, 1);

    @TempDir
    Path dir;

    private final InMemoryObjectStore memory = new InMemoryObjectStore();
    private final FlakyObjectStore store = new FlakyObjectStore(memory);
    private final List<CachingObjectStore> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        opened.forEach(CachingObjectStore::close);
    }

    private CachingObjectStore cache() {
        CachingObjectStore c = openReady(store, config(dir, 64));
        opened.add(c);
        return c;
    }

    @Test
    void aCopiedVolumeWithTheSameVolumeIdNeverReadsTheOriginalsChunks() {
        // w/ is a copy of v/: the same descriptor, so the same volume id. Each then writes its own segment 1.
        UUID id = createVolume(memory, V);
        createVolume(memory, W, id);
        int size = 3 * CHUNK + 100;
        CachingObjectStore first = cache();
        byte[] v = createSegment(first, V, 1, size, 1); // written through the cache, as a server does
        byte[] w = createSegment(first, W, 1, size, 2);
        await(first.drainInserts());
        assertArrayEquals(w, read(first, W1, 0, size));
        assertArrayEquals(v, read(first, V1, 0, size));
        await(first.drainInserts());
        first.close();

        // The restart: both are still cached, each under its own key.
        CachingObjectStore second = cache();
        assertEquals(8, second.stats().entries(), second.stats().toString());
        assertArrayEquals(w, read(second, W1, 0, size));
        assertArrayEquals(v, read(second, V1, 0, size));
        assertArrayEquals(slice(w, CHUNK + 10, 200), read(second, W1, CHUNK + 10, 200));
        assertEquals(0, second.stats().misses(), second.stats().toString());
    }

    @Test
    void aCopyReadBeforeTheOriginalIsCachedUnderItsOwnKey() {
        // The same, with chunks fetched by reads rather than written through; the copy is read first.
        UUID id = createVolume(memory, V);
        createVolume(memory, W, id);
        byte[] v = createSegment(memory, V, 1, 2 * CHUNK, 3);
        byte[] w = createSegment(memory, W, 1, 2 * CHUNK, 4);
        CachingObjectStore first = cache();
        assertArrayEquals(w, read(first, W1, 0, 2 * CHUNK));
        await(first.drainInserts());
        assertArrayEquals(v, read(first, V1, 0, 2 * CHUNK));
        await(first.drainInserts());
        first.close();

        CachingObjectStore second = cache();
        assertArrayEquals(v, read(second, V1, 0, 2 * CHUNK));
        assertArrayEquals(w, read(second, W1, 0, 2 * CHUNK));
    }

    @Test
    void aSegmentRolledBackAndRewrittenBetweenTwoOpensIsReadFromTheStore() {
        createVolume(memory, V);
        int size = 4 * CHUNK;
        byte[] old = createSegment(memory, V, 1, size, 5, writer(5));
        CachingObjectStore first = cache();
        assertArrayEquals(old, read(first, V1, 0, size));
        await(first.drainInserts());
        first.close();

        // While no server runs, the volume is rolled back (segment 1 deleted) and a new writer writes segment 1
        // again: same key, same size, same descriptor, other bytes.
        await(memory.delete(V1));
        byte[] fresh = createSegment(memory, V, 1, size, 6, writer(6));
        CachingObjectStore second = cache();
        assertEquals(4, second.stats().entries());
        assertArrayEquals(fresh, read(second, V1, 0, size));
        CacheStats s = second.stats();
        assertEquals(0, s.hits(), "no stale chunk was served: " + s);
        assertEquals(4, s.staleChunks(), s.toString());
        assertEquals(1, s.verifications(), s.toString());

        // The fresh bytes replace the stale chunks and are served from then on, also after another restart.
        await(second.drainInserts());
        long gets = store.calls(Op.GET);
        assertArrayEquals(slice(fresh, CHUNK, 2 * CHUNK), read(second, V1, CHUNK, 2 * CHUNK));
        assertEquals(gets, store.calls(Op.GET));
        second.close();
        CachingObjectStore third = cache();
        assertEquals(4, third.stats().entries());
        assertArrayEquals(fresh, read(third, V1, 0, size));
        assertEquals(4, third.stats().hits(), third.stats().toString());
    }

    @Test
    void aSegmentRewrittenThroughTheCacheReplacesItsChunksAtOnce() {
        createVolume(memory, V);
        CachingObjectStore c = cache();
        byte[] old = createSegment(c, V, 1, 2 * CHUNK, 7);
        await(c.drainInserts());
        assertArrayEquals(old, read(c, V1, 0, 2 * CHUNK));
        await(c.delete(V1));
        byte[] fresh = createSegment(c, V, 1, 2 * CHUNK, 8);
        await(c.drainInserts());
        long gets = store.calls(Op.GET);
        assertArrayEquals(fresh, read(c, V1, 0, 2 * CHUNK));
        assertEquals(gets, store.calls(Op.GET), "the new segment's bytes were written through");
    }

    @Test
    void theFirstHitOfASegmentCostsOneSmallGetAndLaterHitsNone() {
        createVolume(memory, V);
        int segments = 4;
        int size = 6 * CHUNK + 300;
        byte[][] segs = new byte[segments][];
        for (int s = 0; s < segments; s++) {
            segs[s] = createSegment(memory, V, s + 1, size, 20 + s);
        }
        CachingObjectStore first = cache();
        long bytes = store.bytesRead();
        for (int s = 0; s < segments; s++) {
            assertArrayEquals(segs[s], read(first, SegmentKeys.segment(V, s + 1), 0, size));
        }
        // Each miss fetched the segment's data; checking which object it is cost at most 64 more bytes per segment.
        assertTrue(store.bytesRead() - bytes <= (long) segments * (size + 64), "read " + (store.bytesRead() - bytes));
        await(first.drainInserts());
        // Chunks this process fetched are known good: hits cost no request.
        long gets = store.calls(Op.GET);
        readEveryChunk(first, segs);
        assertEquals(gets, store.calls(Op.GET));
        first.close();

        CachingObjectStore second = cache();
        gets = store.calls(Op.GET);
        bytes = store.bytesRead();
        for (int round = 0; round < 3; round++) {
            readEveryChunk(second, segs);
        }
        assertEquals(gets + segments, store.calls(Op.GET), "one GET per segment: " + second.stats());
        assertEquals(bytes + segments * 64L, store.bytesRead(), "of its 64-byte header");
        CacheStats s = second.stats();
        assertEquals(0, s.misses(), s.toString());
        assertEquals(segments, s.verifications(), s.toString());
        assertTrue(s.inlineHits() > 0, s.toString());
    }

    private static void readEveryChunk(CachingObjectStore c, byte[][] segs) {
        for (int s = 0; s < segs.length; s++) {
            String key = SegmentKeys.segment(V, s + 1);
            for (long at = 0; at < segs[s].length; at += CHUNK) {
                assertArrayEquals(slice(segs[s], at + 7, 4100), read(c, key, at + 7, 4100));
            }
            assertArrayEquals(segs[s], read(c, key, 0, segs[s].length));
        }
    }

    @Test
    void aReadOfASegmentWithNothingCachedDoesNotWaitForTheCheck() {
        createVolume(memory, V);
        byte[] seg = createSegment(memory, V, 1, 2 * CHUNK, 10);
        CachingObjectStore c = cache();
        // The first GET of the segment is the header check: hold it.
        CompletableFuture<Void> gate = new CompletableFuture<>();
        FaultRule held = store.add(FaultRule.on(Op.GET, ".*/seg/.*", FaultRule.nth(1), FaultAction.holdUntil(gate)));
        assertArrayEquals(slice(seg, 100, 5000), read(c, V1, 100, 5000));
        assertEquals(1, held.acted());
        assertEquals(0, c.stats().entries(), "fetched chunks wait for the check before they are cached");

        gate.complete(null);
        await(c.drainInserts());
        assertEquals(2, c.stats().entries());
        long gets = store.calls(Op.GET);
        assertArrayEquals(slice(seg, 10, 2 * CHUNK - 10), read(c, V1, 10, 2 * CHUNK - 10));
        assertEquals(gets, store.calls(Op.GET));
        assertEquals(1, c.stats().verifications());
    }

    @Test
    void whenTheIdentityCannotBeCheckedNoCachedByteIsServed() {
        createVolume(memory, V);
        byte[] seg = createSegment(memory, V, 1, 3 * CHUNK, 9);
        CachingObjectStore first = cache();
        read(first, V1, 0, 3 * CHUNK);
        await(first.drainInserts());
        first.close();

        CachingObjectStore second = cache();
        // The store is down: the cache holds every byte, but cannot tell whether they are still the object's.
        FaultRule down = store.add(FaultRule.on(Op.GET, ".*", FaultRule.always(),
                FaultAction.fail(() -> FaultAction.serviceUnavailable(V1))));
        failure(StorageException.class, second.get(V1, ByteRange.of(10, 100)));
        failure(StorageException.class, second.get(V1, ByteRange.of(0, 3 * CHUNK)));
        assertEquals(0, second.stats().hits(), second.stats().toString());
        store.remove(down);

        // Only the check fails: the read goes to the store and gets the right bytes.
        FaultRule once = store.add(FaultRule.on(Op.GET, ".*", FaultRule.nth(1),
                FaultAction.fail(() -> FaultAction.serviceUnavailable(V1))));
        assertArrayEquals(slice(seg, 10, 100), read(second, V1, 10, 100));
        assertEquals(1, once.acted());
        assertEquals(0, second.stats().hits(), second.stats().toString());

        // Back up: one check, then hits; and once checked, hits need no store at all.
        assertArrayEquals(seg, read(second, V1, 0, 3 * CHUNK));
        assertEquals(3, second.stats().hits(), second.stats().toString());
        store.add(FaultRule.on(Op.GET, ".*", FaultRule.always(), FaultAction.fail(() -> FaultAction.serviceUnavailable(V1))));
        assertArrayEquals(slice(seg, CHUNK, 100), read(second, V1, CHUNK, 100));
        assertArrayEquals(seg, read(second, V1, 0, 3 * CHUNK));
    }
}
