package io.hyperfile.core.cache;

import static io.hyperfile.core.cache.CacheTesting.openReady;
import static io.hyperfile.core.cache.CacheTesting.random;
import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.local.LocalDirectoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real {@link Volume} on a local-directory store, read through the cache before and after a restart. */
class CachedVolumeTest {
    private static final long SIZE = 64L << 20;

    @TempDir
    Path dir;

    @Test
    void aVolumeReadsThroughTheCacheAndARestartServesItWithoutStoreReads() {
        LocalDirectoryObjectStore local = new LocalDirectoryObjectStore(dir.resolve("store"));
        FlakyObjectStore store = new FlakyObjectStore(local);
        // Small segments so the data spans several; the default 256 KiB chunks.
        CacheConfig config = CacheConfig.builder(dir.resolve("cache"), 32L << 20).build();
        byte[] model = new byte[(int) SIZE];
        try {
            CachingObjectStore first = openReady(store, config);
            await(Volume.create(first, "v", new VolumeOptions(SIZE, 4096, 1 << 20, 4096), Clock.systemUTC()));
            Volume v = await(Volume.open(first, "v", "v", VolumeConfig.DEFAULT));
            for (int i = 0; i < 24; i++) {
                long offset = ((i * 7919L) % 4000) * 4096;
                byte[] data = random(64 * 1024 + (i % 3) * 4096, i);
                await(v.write(offset, ByteBuffer.wrap(data)));
                System.arraycopy(data, 0, model, (int) offset, data.length);
                if (i % 6 == 5) {
                    await(v.flush());
                }
            }
            await(v.close());
            await(first.drainInserts());
            assertTrue(first.stats().inserts() > 0, first.stats().toString());
            first.close();

            CachingObjectStore second = openReady(store, config);
            Volume reopened = await(Volume.open(second, "v", "v", VolumeConfig.DEFAULT));
            long gets = store.calls(Op.GET);
            for (long offset = 0; offset < SIZE; offset += 1 << 20) {
                ByteBuffer got = ByteBuffer.allocate(1 << 20);
                await(reopened.read(offset, got));
                byte[] want = new byte[1 << 20];
                System.arraycopy(model, (int) offset, want, 0, want.length);
                assertArrayEquals(want, got.array(), "MiB at " + offset);
            }
            assertEquals(gets, store.calls(Op.GET), "every segment read was a hit: " + second.stats());
            assertTrue(second.stats().hits() > 0, second.stats().toString());
            await(reopened.close());
            second.close();
        } finally {
            local.close();
        }
    }
}
