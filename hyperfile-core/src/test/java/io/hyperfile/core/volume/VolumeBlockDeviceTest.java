package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.block.Allocation;
import io.hyperfile.core.block.AllocationRun;
import io.hyperfile.core.block.Durability;
import io.hyperfile.core.block.ZeroOption;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The block semantics {@link VolumeBlockDevice} decides, checked on a real volume in an in-memory store. */
class VolumeBlockDeviceTest {
    private static final int BS = 4096;
    private static final int SIZE = 64 * BS;
    private static final byte FILL = (byte) 0xAB;
    /** No timer flushes: only flushes and durable requests make anything durable, so a crash test means something. */
    private static final VolumeConfig CONFIG = VolumeConfig.builder().flushAge(Duration.ofHours(1)).build();

    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private Volume volume;
    private VolumeBlockDevice device;

    private void open() {
        if (volume == null) {
            await(Volume.create(store, "v", VolumeOptions.ofSize(SIZE), Clock.systemUTC()));
        }
        volume = await(Volume.open(store, "v", "dev", CONFIG));
        device = new VolumeBlockDevice(volume);
    }

    @AfterEach
    void close() {
        if (volume != null) {
            volume.abort();
        }
    }

    /** Fills {@code [0, blocks * BS)} with {@link #FILL} and flushes. */
    private void fill(int blocks) {
        byte[] data = new byte[blocks * BS];
        Arrays.fill(data, FILL);
        await(device.write(0, ByteBuffer.wrap(data), Durability.BUFFERED));
        await(device.flush());
    }

    private byte[] read(long offset, int length) {
        ByteBuffer dst = ByteBuffer.allocate(length);
        await(device.read(offset, dst));
        return dst.array();
    }

    /** The expected content of {@code [0, length)}: FILL everywhere except zeros in {@code [zeroFrom, zeroTo)}. */
    private static byte[] filledExcept(int length, int zeroFrom, int zeroTo) {
        byte[] b = new byte[length];
        Arrays.fill(b, FILL);
        Arrays.fill(b, zeroFrom, zeroTo, (byte) 0);
        return b;
    }

    private static AllocationRun run(long offset, long length, Allocation a) {
        return new AllocationRun(offset, length, a);
    }

    @Test
    void zeroingThatMayPunchTrimsTheWholeBlocksAndZeroesThePartialEnds() {
        open();
        fill(5);
        await(device.writeZeroes(1000, 3 * BS + 2000, Set.of(), Durability.BUFFERED));
        assertArrayEquals(filledExcept(5 * BS, 1000, 1000 + 3 * BS + 2000), read(0, 5 * BS));
        assertEquals(List.of(run(0, BS, Allocation.DATA), run(BS, 2 * BS, Allocation.HOLE), run(3 * BS, 2 * BS, Allocation.DATA)),
                await(device.blockStatus(0, 5 * BS)));
    }

    @Test
    void zeroingWithAllocateLeavesZerosNotHoles() {
        open();
        fill(5);
        await(device.writeZeroes(1000, 3 * BS + 2000, EnumSet.of(ZeroOption.ALLOCATE), Durability.BUFFERED));
        assertArrayEquals(filledExcept(5 * BS, 1000, 1000 + 3 * BS + 2000), read(0, 5 * BS));
        List<AllocationRun> runs = await(device.blockStatus(0, 5 * BS));
        assertEquals(List.of(run(0, BS, Allocation.DATA), run(BS, 2 * BS, Allocation.ZERO), run(3 * BS, 2 * BS, Allocation.DATA)), runs);
    }

    @Test
    void zeroingInsideOneBlockZeroesBytesAndPunchesNothing() {
        open();
        fill(2);
        await(device.writeZeroes(BS + 100, 200, Set.of(), Durability.BUFFERED));
        assertArrayEquals(filledExcept(2 * BS, BS + 100, BS + 300), read(0, 2 * BS));
        assertEquals(List.of(run(0, 2 * BS, Allocation.DATA)), await(device.blockStatus(0, 2 * BS)));
    }

    @Test
    void fastZeroWithoutAWholeBlockFailsAndChangesNothing() {
        open();
        fill(3);
        // 4000 bytes across the boundary of blocks 0 and 1: no whole block.
        CompletableFuture<Void> f = device.writeZeroes(BS - 2000, 4000, EnumSet.of(ZeroOption.FAST_ONLY), Durability.BUFFERED);
        FastZeroUnsupportedException e = assertThrows(FastZeroUnsupportedException.class, () -> await(f));
        assertEquals("a fast zero of 4000 bytes at offset 2096 holds no whole block of 4096 bytes: it would be a read-modify-write",
                e.getMessage());
        assertEquals(DeviceFailure.NOT_FAST, DeviceFailure.of(e));
        assertArrayEquals(filledExcept(3 * BS, 0, 0), read(0, 3 * BS));

        // A range that holds a whole block is metadata work for that block: allowed, with or without ALLOCATE.
        await(device.writeZeroes(1000, 2 * BS, EnumSet.of(ZeroOption.FAST_ONLY), Durability.BUFFERED));
        assertArrayEquals(filledExcept(3 * BS, 1000, 1000 + 2 * BS), read(0, 3 * BS));
        await(device.writeZeroes(0, BS, EnumSet.of(ZeroOption.FAST_ONLY, ZeroOption.ALLOCATE), Durability.BUFFERED));
        assertEquals(run(0, BS, Allocation.ZERO), await(device.blockStatus(0, BS)).get(0));
        // Zero bytes are trivially fast.
        await(device.writeZeroes(5, 0, EnumSet.of(ZeroOption.FAST_ONLY), Durability.BUFFERED));
    }

    /** Durable requests, each the last durable one before a crash, on blocks 0..7 filled with FILL. */
    enum DurableCase {
        WRITE, TRIM, ZERO_SPLIT, ZERO_ALLOCATE, ZERO_ONE_BLOCK;

        CompletableFuture<Void> run(BlockDevice d) {
            return switch (this) {
                case WRITE -> d.write(BS, ByteBuffer.allocate(BS), Durability.DURABLE);
                case TRIM -> d.trim(BS, BS, Durability.DURABLE);
                case ZERO_SPLIT -> d.writeZeroes(BS - 100, BS + 200, Set.of(), Durability.DURABLE); // zero, trim, zero
                case ZERO_ALLOCATE -> d.writeZeroes(BS - 100, BS + 200, EnumSet.of(ZeroOption.ALLOCATE), Durability.DURABLE);
                case ZERO_ONE_BLOCK -> d.writeZeroes(BS + 100, 200, Set.of(), Durability.DURABLE);
            };
        }

        /** The zeroed range {@code [from, to)} the request leaves. */
        int[] zeroed() {
            return switch (this) {
                case WRITE, TRIM -> new int[] {BS, 2 * BS};
                case ZERO_SPLIT, ZERO_ALLOCATE -> new int[] {BS - 100, 2 * BS + 100};
                case ZERO_ONE_BLOCK -> new int[] {BS + 100, BS + 300};
            };
        }

        Allocation blockOne() {
            return switch (this) {
                case ZERO_ONE_BLOCK -> Allocation.DATA;
                case TRIM, ZERO_SPLIT -> Allocation.HOLE;
                case WRITE, ZERO_ALLOCATE -> Allocation.ZERO; // the volume keeps a written all-zero block as ZERO
            };
        }
    }

    @ParameterizedTest
    @EnumSource(DurableCase.class)
    void aDurableRequestSurvivesACrashThatLosesTheBufferedWriteAfterIt(DurableCase c) {
        open();
        fill(8);
        await(c.run(device));
        byte[] nine = new byte[BS];
        Arrays.fill(nine, (byte) 9);
        await(device.write(7 * BS, ByteBuffer.wrap(nine), Durability.BUFFERED));
        volume.abort();
        open();

        int[] zeroed = c.zeroed();
        assertArrayEquals(filledExcept(8 * BS, zeroed[0], zeroed[1]), read(0, 8 * BS),
                c + " survived the crash; the buffered write after it was lost");
        assertEquals(c.blockOne(), await(device.blockStatus(BS, BS)).get(0).allocation());
    }

    @Test
    void readSparseReturnsTheDataAndTheRunsOfTheReadRange() {
        open();
        byte[] data = new byte[BS];
        Arrays.fill(data, FILL);
        await(device.write(0, ByteBuffer.wrap(data), Durability.BUFFERED));
        await(device.write(3 * BS, ByteBuffer.wrap(data), Durability.BUFFERED));
        await(device.writeZeroes(4 * BS, BS, EnumSet.of(ZeroOption.ALLOCATE), Durability.BUFFERED));

        ByteBuffer dst = ByteBuffer.allocate(4 * BS + 500);
        List<AllocationRun> runs = await(device.readSparse(100, dst));
        assertEquals(List.of(run(100, BS - 100, Allocation.DATA), run(BS, 2 * BS, Allocation.HOLE),
                run(3 * BS, BS, Allocation.DATA), run(4 * BS, 600, Allocation.ZERO)), runs);
        byte[] expected = new byte[4 * BS + 500];
        Arrays.fill(expected, 0, BS - 100, FILL);
        Arrays.fill(expected, 3 * BS - 100, 4 * BS - 100, FILL);
        assertArrayEquals(expected, dst.array());
        assertEquals(0, dst.position(), "the buffer's position does not move");
        assertEquals(List.of(), await(device.readSparse(0, ByteBuffer.allocate(0))));
    }

    @Test
    void failuresArriveAsFailedFuturesThatClassify() {
        open();
        CompletableFuture<Void> outside = device.read(SIZE - 10, ByteBuffer.allocate(20));
        OutOfRangeException e = assertThrows(OutOfRangeException.class, () -> await(outside));
        assertEquals("read of 20 bytes at offset 262134 is outside volume dev of 262144 bytes", e.getMessage());
        assertEquals(DeviceFailure.OUT_OF_RANGE, DeviceFailure.of(e));
        CompletableFuture<Void> zeroOutside = device.writeZeroes(SIZE - BS, 2 * BS, EnumSet.of(ZeroOption.FAST_ONLY), Durability.BUFFERED);
        assertEquals("write zeroes of 8192 bytes at offset 258048 is outside volume dev of 262144 bytes",
                assertThrows(OutOfRangeException.class, () -> await(zeroOutside)).getMessage());
        assertTrue(device.writeZeroes(-1, 10, Set.of(), Durability.BUFFERED).isCompletedExceptionally());
        assertTrue(device.trim(SIZE, 1, Durability.DURABLE).isCompletedExceptionally());
        assertTrue(device.blockStatus(SIZE, 1).isCompletedExceptionally());
        assertTrue(device.cache(SIZE, 1).isCompletedExceptionally());
        await(device.cache(0, SIZE));

        await(volume.close());
        CompletableFuture<Void> closed = device.write(0, ByteBuffer.allocate(10), Durability.BUFFERED);
        assertEquals(DeviceFailure.CLOSED, DeviceFailure.of(assertThrows(VolumeClosedException.class, () -> await(closed))));
        volume = null;
    }

    @Test
    void aSnapshotViewIsReadOnly() {
        open();
        assertFalse(device.isReadOnly());
        assertEquals(SIZE, device.sizeBytes());
        assertEquals(BS, device.blockSizeBytes());
        fill(1);
        long seq = await(volume.durableSeq());
        Volume view = await(Volume.openReadOnlyAt(store, "v", "view", CONFIG, seq));
        try {
            VolumeBlockDevice ro = new VolumeBlockDevice(view);
            assertTrue(ro.isReadOnly());
            CompletableFuture<Void> w = ro.trim(0, BS, Durability.BUFFERED);
            assertEquals(DeviceFailure.READ_ONLY, DeviceFailure.of(assertThrows(ReadOnlyVolumeException.class, () -> await(w))));
            await(ro.flush());
            ByteBuffer dst = ByteBuffer.allocate(BS);
            await(ro.read(0, dst));
            assertArrayEquals(filledExcept(BS, 0, 0), dst.array());
        } finally {
            view.abort();
        }
    }
}
