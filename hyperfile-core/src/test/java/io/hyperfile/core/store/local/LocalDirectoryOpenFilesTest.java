package io.hyperfile.core.store.local;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local store keeps the files of recent reads open ({@link OpenFiles}); these tests check that a kept file is
 * never read once its object was replaced or deleted, by this store or by another process (a second store on the
 * same directory stands in for one), and that the table stays within its bounds.
 */
class LocalDirectoryOpenFilesTest {
    @TempDir
    Path dir;

    private final List<LocalDirectoryObjectStore> stores = new ArrayList<>();

    private LocalDirectoryObjectStore store(boolean inline, int openFiles) {
        LocalDirectoryObjectStore s = new LocalDirectoryObjectStore(dir.resolve("store"), 4, inline, openFiles);
        stores.add(s);
        return s;
    }

    @AfterEach
    void close() {
        stores.forEach(LocalDirectoryObjectStore::close);
    }

    @Test
    void aReplacedObjectIsReadFromItsNewFile() {
        LocalDirectoryObjectStore a = store(true, 16);
        LocalDirectoryObjectStore other = store(false, 16);
        await(a.put("v/seg/1", filled(1, 8192)));
        assertEquals(1, valueAt(a, "v/seg/1", 4096));
        assertEquals(1, a.openFileCount(), "the read keeps its file open");

        await(a.put("v/seg/1", filled(2, 8192)));
        assertEquals(0, a.openFileCount(), "replacing the object closes the kept file");
        assertEquals(2, valueAt(a, "v/seg/1", 4096));

        await(other.put("v/seg/1", filled(3, 16384)));
        assertEquals(3, valueAt(a, "v/seg/1", 4096), "a replacement by another process is seen at once");
        assertEquals(16384, await(a.get("v/seg/1", ByteRange.of(0, 10))).objectSize());
    }

    @Test
    void anObjectDeletedElsewhereReadsAsMissingAndItsFileIsClosed() {
        LocalDirectoryObjectStore a = store(false, 16);
        LocalDirectoryObjectStore other = store(false, 16);
        await(a.put("v/seg/1", filled(7, 8192)));
        assertEquals(7, valueAt(a, "v/seg/1", 0));
        assertEquals(1, a.openFileCount());

        await(other.delete("v/seg/1"));
        failure(ObjectNotFoundException.class, a.get("v/seg/1", ByteRange.of(0, 4096)));
        assertEquals(0, a.openFileCount(), "the descriptor of the deleted file is closed, so its space is freed");

        // The same name created again (a volume deleted and created anew) is the new object, not the old file.
        await(other.create("v/seg/1", filled(8, 4096)));
        assertEquals(8, valueAt(a, "v/seg/1", 0));
    }

    @Test
    void aSegmentOfAVolumeWhoseDescriptorWasReadIsTrustedUntilTheDescriptorChanges() {
        LocalDirectoryObjectStore a = store(true, 16);
        LocalDirectoryObjectStore other = store(false, 16);
        String seg = SegmentKeys.segment("v/", 1);
        await(a.create("v/volume", filled(1, 2048)));
        assertEquals(1, valueAt(a, "v/volume", 0), "the volume is opened: its descriptor read");
        await(a.create(seg, filled(5, 8192)));
        assertEquals(5, valueAt(a, seg, 4096));

        // Deleted by another process (its garbage collection, say): the kept file still reads, with its bytes.
        await(other.delete(seg));
        assertEquals(5, valueAt(a, seg, 4096), "read from the kept file, without a stat");

        // The volume deleted and created anew elsewhere, under the same name, with other bytes in the same seq.
        await(other.delete("v/volume"));
        await(other.create("v/volume", filled(2, 2048)));
        await(other.create(seg, filled(6, 8192)));
        assertEquals(2, valueAt(a, "v/volume", 0), "opening it reads the new descriptor");
        assertEquals(6, valueAt(a, seg, 4096), "so the segment's path is checked again and its new file read");
        assertEquals(6, valueAt(a, seg, 0), "and trusted from then on");
    }

    @Test
    void aSegmentIsCheckedOnEveryReadWhileItsVolumesDescriptorIsUnknownOrGone() {
        LocalDirectoryObjectStore a = store(false, 16);
        LocalDirectoryObjectStore other = store(false, 16);
        String seg = SegmentKeys.segment("v/", 7);
        await(a.create(seg, filled(3, 4096)));
        assertEquals(3, valueAt(a, seg, 0));
        await(other.delete(seg));
        failure(ObjectNotFoundException.class, a.get(seg, ByteRange.of(0, 4096)));

        // Known, then deleted by this store: its segments are checked again.
        await(a.create("v/volume", filled(1, 2048)));
        valueAt(a, "v/volume", 0);
        await(a.create(SegmentKeys.segment("v/", 8), filled(4, 4096)));
        assertEquals(4, valueAt(a, SegmentKeys.segment("v/", 8), 0));
        await(a.delete("v/volume"));
        await(other.delete(SegmentKeys.segment("v/", 8)));
        failure(ObjectNotFoundException.class, a.get(SegmentKeys.segment("v/", 8), ByteRange.of(0, 4096)));

        // A missing descriptor read ends the trust too.
        await(other.create("v/volume", filled(1, 2048)));
        valueAt(a, "v/volume", 0);
        await(a.create(SegmentKeys.segment("v/", 9), filled(5, 4096)));
        assertEquals(5, valueAt(a, SegmentKeys.segment("v/", 9), 0));
        await(other.delete("v/volume"));
        failure(ObjectNotFoundException.class, a.get("v/volume", ByteRange.of(0, 16)));
        await(other.delete(SegmentKeys.segment("v/", 9)));
        failure(ObjectNotFoundException.class, a.get(SegmentKeys.segment("v/", 9), ByteRange.of(0, 4096)));
    }

    @Test
    void onlyExactSegmentAndDescriptorKeysAreRecognised() {
        assertEquals("v/", OpenFiles.segmentPrefix(SegmentKeys.segment("v/", 12)));
        assertEquals("", OpenFiles.segmentPrefix(SegmentKeys.segment("", 12)));
        assertEquals("a/b/", OpenFiles.segmentPrefix(SegmentKeys.segment("a/b/", 1)));
        assertEquals(null, OpenFiles.segmentPrefix("v/seg/1"));
        assertEquals(null, OpenFiles.segmentPrefix("v/xseg/00000000000000000001"));
        assertEquals(null, OpenFiles.segmentPrefix("v/seg/0000000000000000000x"));
        assertEquals("v/", OpenFiles.descriptorPrefix(SegmentKeys.descriptor("v/")));
        assertEquals("", OpenFiles.descriptorPrefix("volume"));
        assertEquals(null, OpenFiles.descriptorPrefix("v/myvolume"));
    }

    @Test
    void deletingThroughTheStoreClosesTheFile() {
        LocalDirectoryObjectStore a = store(true, 16);
        await(a.put("v/seg/1", filled(1, 4096)));
        await(a.put("v/seg/2", filled(2, 4096)));
        valueAt(a, "v/seg/1", 0);
        valueAt(a, "v/seg/2", 0);
        assertEquals(2, a.openFileCount());
        await(a.delete("v/seg/1"));
        assertEquals(1, a.openFileCount());
        await(a.deleteAll(List.of("v/seg/2")));
        assertEquals(0, a.openFileCount());
    }

    @Test
    void theTableKeepsAtMostItsCapacity() {
        LocalDirectoryObjectStore a = store(true, 8);
        for (int i = 1; i <= 40; i++) {
            await(a.put("v/seg/" + i, filled(i, 4096)));
        }
        for (int round = 0; round < 3; round++) {
            for (int i = 1; i <= 40; i++) {
                assertEquals(i, valueAt(a, "v/seg/" + i, 100));
                assertTrue(a.openFileCount() <= 8, "open files: " + a.openFileCount());
            }
        }
    }

    @Test
    void unusedFilesAreClosedByTheSecondSweep() throws IOException {
        Path f1 = Files.write(dir.resolve("one"), new byte[] {1});
        Path f2 = Files.write(dir.resolve("two"), new byte[] {2});
        try (OpenFiles table = new OpenFiles(8)) {
            table.acquire("one", k -> f1).release();
            table.acquire("two", k -> f2).release();
            assertEquals(2, table.size());
            table.sweep();
            assertEquals(2, table.size(), "files read since the last sweep stay open");
            table.acquire("one", k -> f1).release();
            table.sweep();
            assertEquals(1, table.size(), "a file not read between two sweeps is closed");
            table.sweep();
            assertEquals(0, table.size());
        }
    }

    @Test
    void concurrentReadsNeverSeeAnOlderVersionThanTheLastCompletedWrite() throws Exception {
        int keys = 12;
        int size = 16384;
        LocalDirectoryObjectStore a = store(true, 4);
        LocalDirectoryObjectStore other = store(false, 4);
        AtomicIntegerArray completed = new AtomicIntegerArray(keys);
        for (int k = 0; k < keys; k++) {
            await(a.put("v/seg/" + k, filled(0, size)));
        }
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Future<?> writer = pool.submit(() -> {
                for (int version = 1; version <= 120; version++) {
                    int k = version % keys;
                    // Half the replacements come from "another process", which cannot tell this store.
                    await((version % 2 == 0 ? a : other).put("v/seg/" + k, filled(version, size)));
                    completed.set(k, version);
                }
                stop.set(true);
                return null;
            });
            List<Future<Integer>> readers = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                readers.add(pool.submit(() -> {
                    int reads = 0;
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    while (!stop.get() || reads < 200) {
                        int k = random.nextInt(keys);
                        int atLeast = completed.get(k);
                        int offset = random.nextInt(size - 4096);
                        ObjectData d = await(a.get("v/seg/" + k, ByteRange.of(offset, 4096)));
                        int v = uniformValue(d.data());
                        if (v < atLeast) {
                            throw new AssertionError("key " + k + " read version " + v + " after " + atLeast + " was written");
                        }
                        reads++;
                    }
                    return reads;
                }));
            }
            writer.get();
            for (Future<Integer> r : readers) {
                assertTrue(r.get() >= 200);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int k = 0; k < keys; k++) {
            assertEquals(completed.get(k), valueAt(a, "v/seg/" + k, 0));
        }
        assertTrue(a.openFileCount() <= 4);
    }

    private static int valueAt(LocalDirectoryObjectStore s, String key, long offset) {
        return uniformValue(await(s.get(key, ByteRange.of(offset, 1024))).data());
    }

    /** The value every byte of {@code b} holds; fails if they differ (a read mixing two versions). */
    private static int uniformValue(ByteBuffer b) {
        byte first = b.get(b.position());
        for (int i = b.position(); i < b.limit(); i++) {
            if (b.get(i) != first) {
                throw new AssertionError("mixed bytes in one read: " + first + " and " + b.get(i));
            }
        }
        return first & 0xff;
    }

    private static ByteBuffer filled(int value, int size) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }
}
