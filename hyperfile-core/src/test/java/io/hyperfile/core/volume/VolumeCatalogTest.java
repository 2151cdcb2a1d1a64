package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.local.LocalDirectoryObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class VolumeCatalogTest {
    @TempDir
    static Path dir;

    static Stream<ObjectStore> stores() {
        return Stream.of(new InMemoryObjectStore(), new LocalDirectoryObjectStore(dir.resolve("catalog-" + System.nanoTime())));
    }

    @ParameterizedTest
    @MethodSource("stores")
    void createListInfoDelete(ObjectStore store) {
        VolumeCatalog catalog = new VolumeCatalog(store);
        assertEquals(List.of(), await(catalog.list()));
        await(catalog.create("disk0", VolumeOptions.ofSize(1 << 30), Clock.systemUTC()));
        await(catalog.create("b.v-2", VolumeOptions.ofSize(1 << 20), Clock.systemUTC()));
        await(catalog.create("a", VolumeOptions.ofSize(1 << 20), Clock.systemUTC()));
        failure(ObjectExistsException.class, catalog.create("a", VolumeOptions.ofSize(1 << 20), Clock.systemUTC()));
        assertThrows(IllegalArgumentException.class, () -> catalog.create("../x", VolumeOptions.ofSize(1 << 20), Clock.systemUTC()));

        Volume v = await(catalog.open("disk0", VolumeConfig.DEFAULT));
        for (int i = 0; i < 5; i++) {
            await(v.write(i * 8L * 4096, ByteBuffer.allocate(4096).put(0, (byte) 1)));
            await(v.flush());
        }
        await(v.close());
        assertEquals(List.of("a", "b.v-2", "disk0"), await(catalog.list()));

        VolumeCatalog.VolumeInfo info = await(catalog.info("disk0"));
        assertEquals(1L << 30, info.sizeBytes());
        assertEquals(6, info.newestSeq(), "the claim written at open, then five flushes");
        assertEquals(5, info.extentCount());
        assertEquals(5 * 4096, info.mappedBytes());
        assertEquals(0, await(catalog.info("a")).newestSeq());
        failure(ObjectNotFoundException.class, catalog.info("nope"));

        List<Long> progress = new ArrayList<>();
        long deleted = await(catalog.delete("disk0", progress::add));
        assertTrue(deleted >= 7, "descriptor and six segments: " + deleted);
        assertFalse(progress.isEmpty());
        assertEquals(List.of("a", "b.v-2"), await(catalog.list()));
        assertFalse(await(catalog.exists("disk0")));
        store.close();
    }

    @ParameterizedTest
    @MethodSource("stores")
    void scanReportsHalfDeletedVolumesApart(ObjectStore store) {
        VolumeCatalog catalog = new VolumeCatalog(store);
        await(catalog.create("whole", VolumeOptions.ofSize(1 << 20), Clock.systemUTC()));
        await(catalog.create("half", VolumeOptions.ofSize(1 << 20), Clock.systemUTC()));
        Volume v = await(catalog.open("half", VolumeConfig.DEFAULT));
        await(v.write(0, ByteBuffer.allocate(4096)));
        await(v.flush());
        await(v.close());
        await(store.delete("half/volume")); // a delete that stopped after its first step
        await(store.put("other/notes.txt", ByteBuffer.allocate(1))); // not Hyperfile's: not reported
        await(store.put("gconly/gc/live/00000000000000000001", ByteBuffer.allocate(1))); // only a GC table left
        await(store.put("gconly/zz", ByteBuffer.allocate(1)));
        await(store.put("leaseonly/lease", ByteBuffer.allocate(1))); // a lease renewed just after a delete
        await(store.put("whole/lease", ByteBuffer.allocate(1))); // a served volume: its lease sorts before seg/

        VolumeCatalog.Scan scan = await(catalog.scan());
        assertEquals(List.of("whole"), scan.volumes());
        assertEquals(List.of("gconly", "half", "leaseonly"), scan.incomplete());
        assertEquals(List.of("whole"), await(catalog.list()));
        assertTrue(await(catalog.isIncomplete("half")));
        assertFalse(await(catalog.isIncomplete("whole")));
        assertFalse(await(catalog.isIncomplete("other")));
        assertFalse(await(catalog.isIncomplete("nothing")));

        await(catalog.delete("half", n -> { }));
        await(catalog.delete("gconly", n -> { }));
        await(catalog.delete("leaseonly", n -> { }));
        assertEquals(new VolumeCatalog.Scan(List.of("whole"), List.of()), await(catalog.scan()));
        await(catalog.delete("whole", n -> { }));
        assertEquals(List.of(), await(store.listAll("whole/", null)), "delete removes the lease too");
        store.close();
    }

    @ParameterizedTest
    @MethodSource("stores")
    void aVolumeLargerThanTheIndexAddressesIsRefusedBeforeAnythingIsWritten(ObjectStore store) {
        VolumeCatalog catalog = new VolumeCatalog(store);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> catalog.create("big", VolumeOptions.ofSize(1L << 61), Clock.systemUTC()));
        assertEquals("size 2305843009213693952 is too large: the index addresses at most 2^48 blocks, 1152921504606846976"
                + " bytes with blocks of 4096 bytes (use larger blocks for a larger volume)", e.getMessage());
        assertFalse(await(catalog.exists("big")));
        // The same size fits with blocks of 64 KiB; the limit is on blocks, not bytes.
        await(catalog.create("big", VolumeOptions.ofSize(1L << 61).withBlockSizeBytes(65536), Clock.systemUTC()));
        assertEquals(1L << 45, await(catalog.info("big")).descriptor().blockCount());
        store.close();
    }
}
