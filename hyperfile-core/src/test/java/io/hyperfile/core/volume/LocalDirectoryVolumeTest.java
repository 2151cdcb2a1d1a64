package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.local.LocalDirectoryObjectStore;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalDirectoryVolumeTest extends AbstractVolumeStoreTest {
    @TempDir
    Path dir;

    @Override
    protected ObjectStore createStore() {
        return new LocalDirectoryObjectStore(dir);
    }

    /**
     * Data reads on the local store borrow its reused read memory: a block damaged on disk fails the reads that
     * cover it, as corruption, and the reads after it (same threads, same memory) return exactly what was written.
     */
    @Test
    void aDamagedBlockFailsItsReadsAndTheReadsAfterItAreExact() throws IOException {
        await(Volume.create(store, "dmg", VolumeOptions.ofSize(4 << 20), Clock.systemUTC()));
        Volume v = await(Volume.open(store, "dmg", "w", VolumeConfig.DEFAULT));
        byte[] data = new byte[1 << 20];
        new Random(8).nextBytes(data);
        await(v.write(0, ByteBuffer.wrap(data)));
        await(v.close());
        Path segment;
        try (Stream<Path> files = Files.list(dir.resolve("dmg").resolve("seg"))) {
            segment = files.max(Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
        }
        int slot = 100;
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            long at = 64 + slot * 4100L + 7;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x10);
        }
        Volume again = await(Volume.open(store, "dmg", "r", VolumeConfig.DEFAULT));
        try {
            for (int round = 0; round < 3; round++) {
                CompletionException e = assertThrows(CompletionException.class,
                        () -> again.read(0, ByteBuffer.allocate(data.length)).join());
                assertTrue(causes(e, CorruptionException.class), "not reported as corruption: " + e);
                assertThrows(CompletionException.class, () -> again.read(slot * 4096L, ByteBuffer.allocate(4096)).join());
                ByteBuffer before = ByteBuffer.allocate(slot * 4096);
                await(again.read(0, before));
                assertArrayEquals(Arrays.copyOfRange(data, 0, slot * 4096), before.array());
                ByteBuffer after = ByteBuffer.allocate(data.length - (slot + 1) * 4096);
                await(again.read((slot + 1) * 4096L, after));
                assertArrayEquals(Arrays.copyOfRange(data, (slot + 1) * 4096, data.length), after.array());
            }
        } finally {
            again.abort();
        }
    }

    private static boolean causes(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }
}
