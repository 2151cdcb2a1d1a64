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
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.stream.Stream;
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
            long bytes = store.bytesRead();
            for (long offset = 0; offset < SIZE; offset += 1 << 20) {
                ByteBuffer got = ByteBuffer.allocate(1 << 20);
                await(reopened.read(offset, got));
                byte[] want = new byte[1 << 20];
                System.arraycopy(model, (int) offset, want, 0, want.length);
                assertArrayEquals(want, got.array(), "MiB at " + offset);
            }
            // Every segment read was a hit; the first of each segment cost one GET of its 64-byte header.
            long segments = await(local.listAll("v/seg/", null)).size();
            assertTrue(store.calls(Op.GET) - gets <= segments, "GETs " + (store.calls(Op.GET) - gets) + ", segments "
                    + segments + ", " + second.stats());
            assertEquals(64 * (store.calls(Op.GET) - gets), store.bytesRead() - bytes, second.stats().toString());
            assertEquals(0, second.stats().misses(), second.stats().toString());
            assertTrue(second.stats().hits() > 0, second.stats().toString());
            await(reopened.close());
            second.close();
        } finally {
            local.close();
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"lz4", "lz4+aes-256-gcm"})
    void aCompressedVolumeReadsThroughTheCacheAfterARestart(String encoding) {
        io.hyperfile.core.encoding.SegmentEncoding enc = io.hyperfile.core.crypto.TestEncodings.parse(encoding);
        LocalDirectoryObjectStore local = new LocalDirectoryObjectStore(dir.resolve("store"));
        CacheConfig config = CacheConfig.builder(dir.resolve("cache"), 32L << 20).build();
        byte[] model = new byte[(int) SIZE];
        try {
            CachingObjectStore first = openReady(local, config);
            io.hyperfile.core.store.ObjectStore top = io.hyperfile.core.crypto.TestEncodings.wrap(first, enc);
            await(Volume.create(top, "z", new VolumeOptions(SIZE, 4096, 1 << 20, 4096, enc), Clock.systemUTC()));
            Volume v = await(Volume.open(top, "z", "z", VolumeConfig.DEFAULT));
            for (int i = 0; i < 24; i++) {
                long offset = ((i * 7919L) % 4000) * 4096;
                byte[] data = random(64 * 1024 + (i % 3) * 4096, i);
                if (i % 2 == 0) {
                    for (int k = 0; k < data.length; k++) {
                        data[k] = k % 7 == 0 ? data[k] : (byte) (k / 512); // compresses
                    }
                }
                await(v.write(offset, ByteBuffer.wrap(data)));
                System.arraycopy(data, 0, model, (int) offset, data.length);
            }
            await(v.close());
            await(first.drainInserts());
            first.close();

            CachingObjectStore second = openReady(local, config);
            Volume reopened = await(Volume.open(io.hyperfile.core.crypto.TestEncodings.wrap(second, enc), "z", "z",
                    VolumeConfig.DEFAULT));
            for (int pass = 0; pass < 2; pass++) { // the second pass reads what the first cached
                for (long offset = 0; offset < SIZE; offset += 1 << 20) {
                    ByteBuffer got = ByteBuffer.allocate(1 << 20);
                    await(reopened.read(offset, got));
                    byte[] want = new byte[1 << 20];
                    System.arraycopy(model, (int) offset, want, 0, want.length);
                    assertArrayEquals(want, got.array(), "MiB at " + offset + ", pass " + pass);
                }
            }
            assertTrue(second.stats().hits() > 0, second.stats().toString());
            await(reopened.close());
            second.close();
        } finally {
            local.close();
        }
    }

    /**
     * The user's report: {@code volume create v}, copy the store's {@code v/} directory to {@code w/} (so both have
     * the same volume id), serve both with one cache, write 1 MiB of "V" to v and of "W" to w at offset 0, flush,
     * restart: w must read "W".
     */
    @Test
    void aCopiedVolumeReadsItsOwnBytesAfterARestart() throws IOException {
        Path root = dir.resolve("store");
        LocalDirectoryObjectStore local = new LocalDirectoryObjectStore(root);
        CacheConfig config = CacheConfig.builder(dir.resolve("cache"), 32L << 20).build();
        try {
            await(Volume.create(local, "v/", new VolumeOptions(SIZE, 4096, 8 << 20, 4096), Clock.systemUTC()));
            copyTree(root.resolve("v"), root.resolve("w"));

            CachingObjectStore first = openReady(local, config);
            Volume v = await(Volume.open(first, "v/", "v", VolumeConfig.DEFAULT));
            Volume w = await(Volume.open(first, "w/", "w", VolumeConfig.DEFAULT));
            assertEquals(v.descriptor().volumeId(), w.descriptor().volumeId());
            await(v.write(0, ByteBuffer.wrap(filled('V'))));
            await(w.write(0, ByteBuffer.wrap(filled('W'))));
            await(v.flush());
            await(w.flush());
            assertArrayEquals(filled('W'), read(w));
            await(v.close());
            await(w.close());
            await(first.drainInserts());
            assertTrue(first.stats().inserts() > 0, first.stats().toString());
            first.close();

            CachingObjectStore second = openReady(local, config);
            v = await(Volume.open(second, "v/", "v", VolumeConfig.DEFAULT));
            w = await(Volume.open(second, "w/", "w", VolumeConfig.DEFAULT));
            assertArrayEquals(filled('W'), read(w), "w");
            assertArrayEquals(filled('V'), read(v), "v");
            assertTrue(second.stats().hits() > 0, second.stats().toString());
            await(v.close());
            await(w.close());
            second.close();
        } finally {
            local.close();
        }
    }

    private static byte[] filled(char c) {
        byte[] b = new byte[1 << 20];
        Arrays.fill(b, (byte) c);
        return b;
    }

    private static byte[] read(Volume v) {
        ByteBuffer got = ByteBuffer.allocate(1 << 20);
        await(v.read(0, got));
        return got.array();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }
}
