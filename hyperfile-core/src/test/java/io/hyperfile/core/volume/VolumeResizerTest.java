package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link VolumeResizer}: grow and shrink on tiny segments (8 blocks of 512 bytes, so a resize meets full builders
 * and several windows), what the process sees at once, what a reopen sees, and a crash at every store request of a
 * shrink: the reopened volume has either the old size and all the old data, or the new size and nothing beyond it
 * (a later grow reads zeroes there).
 */
class VolumeResizerTest {
    private static final int BLOCK = 512;
    private static final int SIZE = 64 << 10;

    private final InMemoryObjectStore memory = new InMemoryObjectStore();
    private final ExecutorService checkerPool = Executors.newSingleThreadExecutor();
    private Volume volume;
    private byte[] content;

    @BeforeEach
    void volumeFullOfData() {
        await(Volume.create(memory, "v", new VolumeOptions(SIZE, BLOCK, VolumeModelTest.SEGMENT_TARGET,
                VolumeModelTest.NODE_BYTES), Clock.systemUTC()));
        volume = await(Volume.open(memory, "v", "resize", VolumeModelTest.config()));
        content = new byte[SIZE];
        new Random(11).nextBytes(content);
        await(volume.write(0, ByteBuffer.wrap(content)));
        await(volume.flush());
    }

    @AfterEach
    void close() {
        volume.abort();
        checkerPool.shutdownNow();
    }

    @Test
    void growServesTheNewRangeAtOnceAndAReopenKeepsIt() {
        await(VolumeResizer.grow(volume, 2 * SIZE));
        assertEquals(2 * SIZE, volume.sizeBytes());
        assertEquals(List.of(new BlockStatusRun(SIZE, SIZE, ExtentKind.HOLE)), await(volume.blockStatus(SIZE, SIZE)));
        assertArrayEquals(new byte[SIZE], read(volume, SIZE, SIZE), "the grown range reads zeroes");
        byte[] tail = bytes(3 * BLOCK + 7, 5);
        await(volume.write(2L * SIZE - tail.length, ByteBuffer.wrap(tail)));
        assertArrayEquals(tail, read(volume, 2L * SIZE - tail.length, tail.length));
        assertThrows(OutOfRangeException.class, () -> volume.write(2L * SIZE, ByteBuffer.allocate(BLOCK)));
        await(volume.flush());
        volume.abort();

        volume = await(Volume.open(memory, "v", "again", VolumeModelTest.config()));
        assertEquals(2 * SIZE, volume.sizeBytes());
        assertArrayEquals(content, read(volume, 0, SIZE));
        assertArrayEquals(tail, read(volume, 2L * SIZE - tail.length, tail.length));
        assertEquals(2 * SIZE, await(new VolumeCatalog(memory).info("v")).sizeBytes());
        assertTrue(await(VolumeChecker.check(memory, "v", checkerPool, n -> { })).isClean());
    }

    @Test
    void shrinkRefusesTheCutRangeAtOnceAndAGrowLaterReadsZeroesThere() {
        int small = SIZE / 2 + 3 * BLOCK;
        await(VolumeResizer.shrink(volume, small));
        assertEquals(small, volume.sizeBytes());
        OutOfRangeException refused = assertThrows(OutOfRangeException.class, () -> volume.read(small, ByteBuffer.allocate(BLOCK)));
        assertEquals("read of 512 bytes at offset " + small + " is outside volume resize of " + small + " bytes", refused.getMessage());
        assertThrows(OutOfRangeException.class, () -> volume.write(small - 1, ByteBuffer.allocate(2)));
        assertThrows(OutOfRangeException.class, () -> volume.blockStatus(0, small + 1));
        assertArrayEquals(slice(content, 0, small), read(volume, 0, small));
        volume.abort();

        volume = await(Volume.open(memory, "v", "again", VolumeModelTest.config()));
        assertEquals(small, volume.sizeBytes());
        assertTrue(await(VolumeChecker.check(memory, "v", checkerPool, n -> { })).isClean(), "nothing mapped beyond the end");
        await(VolumeResizer.grow(volume, SIZE));
        assertArrayEquals(slice(content, 0, small), read(volume, 0, small));
        assertArrayEquals(new byte[SIZE - small], read(volume, small, SIZE - small), "old data never comes back");
        assertEquals(List.of(new BlockStatusRun(small, SIZE - small, ExtentKind.HOLE)), await(volume.blockStatus(small, SIZE - small)));
    }

    @Test
    void aWriteQueuedBeforeAShrinkIsCutAndOneQueuedAfterAGrowLands() {
        byte[] late = bytes(BLOCK, 9);
        CompletableFuture<Void> before = volume.write(SIZE - BLOCK, ByteBuffer.wrap(late));
        CompletableFuture<Void> shrink = VolumeResizer.shrink(volume, SIZE / 2);
        CompletableFuture<Void> grow = VolumeResizer.grow(volume, SIZE);
        CompletableFuture<Void> after = volume.write(SIZE - 2 * BLOCK, ByteBuffer.wrap(late));
        await(CompletableFuture.allOf(before, shrink, grow, after));
        assertArrayEquals(new byte[BLOCK], read(volume, SIZE - BLOCK, BLOCK), "the shrink queued after it discarded it");
        assertArrayEquals(late, read(volume, SIZE - 2 * BLOCK, BLOCK));
    }

    @Test
    void badSizesFailWithOneLine() {
        assertEquals("size must be a positive multiple of the block size 512. sizeBytes=1000",
                assertThrows(IllegalArgumentException.class, () -> VolumeResizer.grow(volume, 1000)).getMessage());
        assertEquals("size must be a positive multiple of the block size 512. sizeBytes=0",
                assertThrows(IllegalArgumentException.class, () -> VolumeResizer.shrink(volume, 0)).getMessage());
        long tooBig = VolumeDescriptor.maxSizeBytes(BLOCK) + BLOCK;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> VolumeResizer.grow(volume, tooBig)).getMessage()
                .startsWith("size must be at most " + VolumeDescriptor.maxSizeBytes(BLOCK) + " bytes with blocks of 512"));
        assertEquals("cannot grow volume resize of 65536 bytes to a smaller size. sizeBytes=1024",
                assertThrows(IllegalArgumentException.class, () -> VolumeResizer.grow(volume, 1024)).getMessage());
        assertEquals("cannot shrink volume resize of 65536 bytes to a larger size. sizeBytes=131072",
                assertThrows(IllegalArgumentException.class, () -> VolumeResizer.shrink(volume, 2 * SIZE)).getMessage());
        assertEquals(SIZE, volume.sizeBytes());
    }

    @Test
    void growToTheLargestSizeIsCheap() {
        long max = VolumeDescriptor.maxSizeBytes(BLOCK);
        await(VolumeResizer.grow(volume, max));
        byte[] last = bytes(BLOCK, 3);
        await(volume.write(max - BLOCK, ByteBuffer.wrap(last)));
        assertArrayEquals(last, read(volume, max - BLOCK, BLOCK));
        await(VolumeResizer.shrink(volume, SIZE));
        assertArrayEquals(content, read(volume, 0, SIZE));
    }

    @Test
    void aSnapshotViewCannotBeResized() {
        Volume view = await(Volume.openReadOnlyAt(memory, "v", "view", VolumeModelTest.config(), await(volume.durableSeq())));
        try {
            assertThrows(ReadOnlyVolumeException.class, () -> await(VolumeResizer.grow(view, 2 * SIZE)));
            assertEquals(SIZE, view.sizeBytes());
        } finally {
            view.abort();
        }
    }

    /** Dies before or after each store request a shrink makes, then checks the reopened volume and grows it back. */
    @Test
    void aCrashAtAnyStoreRequestOfAShrinkLeavesTheOldOrTheNewVolume() {
        volume.abort();
        int small = SIZE / 4;
        int oldOutcomes = 0;
        int newOutcomes = 0;
        for (int n = 1; ; n++) {
            for (boolean before : new boolean[] {true, false}) {
                FlakyObjectStore flaky = new FlakyObjectStore(memory);
                Volume victim = await(Volume.open(flaky, "v", "victim", VolumeModelTest.config()));
                long base = flaky.totalCalls();
                FaultRule crash = flaky.add(FaultRule.onStoreCall(FaultRule.nth(base + n), crashing(victim, before)));
                try {
                    await(VolumeResizer.shrink(victim, small));
                } catch (VolumeClosedException | StorageException | CompletionException e) {
                    // crashed
                }
                victim.abort();
                if (crash.acted() == 0) {
                    assertTrue(oldOutcomes > 0 && newOutcomes > 0, "both outcomes seen: " + oldOutcomes + ", " + newOutcomes);
                    return; // the shrink made fewer than n requests: every point was tried
                }
                Volume reopened = await(Volume.open(memory, "v", "check", VolumeModelTest.config()));
                try {
                    String at = "crash " + (before ? "before" : "after") + " store request " + n;
                    if (reopened.sizeBytes() == SIZE) {
                        oldOutcomes++;
                        assertArrayEquals(content, read(reopened, 0, SIZE), at);
                    } else {
                        newOutcomes++;
                        assertEquals(small, reopened.sizeBytes(), at);
                        await(VolumeResizer.grow(reopened, SIZE));
                        assertArrayEquals(slice(content, 0, small), read(reopened, 0, small), at);
                        assertArrayEquals(new byte[SIZE - small], read(reopened, small, SIZE - small), at);
                        await(reopened.write(small, ByteBuffer.wrap(content, small, SIZE - small)));
                        await(reopened.flush()); // the next round starts from the full volume again
                    }
                } finally {
                    reopened.abort();
                }
            }
            assertTrue(n < 50, "the shrink keeps making store requests");
        }
    }

    private static FaultAction crashing(Volume victim, boolean before) {
        Supplier<Throwable> crashed = () -> new StorageException(null, FailureCategory.UNKNOWN, "crashed");
        return new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(FlakyObjectStore.Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                if (!before) {
                    proceed.get().handle((v, e) -> null).join();
                }
                victim.abort();
                return CompletableFuture.failedFuture(crashed.get());
            }
        };
    }

    private static byte[] read(Volume v, long offset, int length) {
        ByteBuffer dst = ByteBuffer.allocate(length);
        await(v.read(offset, dst));
        return dst.array();
    }

    private static byte[] bytes(int length, int seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] slice(byte[] from, int offset, int length) {
        byte[] out = new byte[length];
        System.arraycopy(from, offset, out, 0, length);
        return out;
    }
}
