package io.hyperfile.core.volume;

import io.hyperfile.core.store.ManualScheduler;
import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The volume behaviours the issue names, each checked on its own. */
class VolumeBehaviourTest {
    private static final long GIB = 1L << 30;

    private final InMemoryObjectStore memory = new InMemoryObjectStore();
    private final FlakyObjectStore store = new FlakyObjectStore(memory);
    private final List<Volume> open = new ArrayList<>();

    @AfterEach
    void abortAll() {
        open.forEach(Volume::abort);
    }

    private Volume volume(long size, VolumeConfig config) {
        await(Volume.create(memory, "v", VolumeOptions.ofSize(size), Clock.systemUTC()));
        return reopen(config);
    }

    private Volume reopen(VolumeConfig config) {
        Volume v = await(Volume.open(store, "v", "t", config));
        open.add(v);
        return v;
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] read(Volume v, long offset, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        await(v.read(offset, b));
        return b.array();
    }

    @Test
    void outOfRangeRequestsFailWithADistinctException() {
        Volume v = volume(1 << 20, VolumeConfig.DEFAULT);
        OutOfRangeException e = org.junit.jupiter.api.Assertions.assertThrows(OutOfRangeException.class,
                () -> v.write((1 << 20) - 10, ByteBuffer.allocate(11)));
        assertTrue(e.getMessage().contains("outside volume t of 1048576 bytes"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(OutOfRangeException.class, () -> v.read(-1, ByteBuffer.allocate(1)));
        org.junit.jupiter.api.Assertions.assertThrows(OutOfRangeException.class, () -> v.trim(0, (1 << 20) + 1));
        org.junit.jupiter.api.Assertions.assertThrows(OutOfRangeException.class, () -> v.blockStatus(1 << 20, 1));
        await(v.write((1 << 20) - 10, ByteBuffer.allocate(10)));
    }

    @Test
    void anEmptyFlushWritesNothing() {
        Volume v = volume(1 << 20, VolumeConfig.DEFAULT);
        long claims = store.calls(Op.CREATE); // the empty segment that claims the log at open
        long before = store.totalCalls();
        await(v.flush());
        await(v.flush());
        assertEquals(before, store.totalCalls());
        await(v.write(0, ByteBuffer.wrap(random(4096, 1))));
        await(v.flush());
        assertEquals(claims + 1, store.calls(Op.CREATE));
        await(v.flush());
        assertEquals(claims + 1, store.calls(Op.CREATE));
    }

    @Test
    void aDurableWriteIsStoredBeforeItCompletes() {
        Volume v = volume(1 << 20, VolumeConfig.DEFAULT);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        store.add(FaultRule.on(Op.CREATE, ".*", FaultRule.always(), FaultAction.holdUntil(gate)));
        CompletableFuture<Void> plain = v.write(0, ByteBuffer.wrap(random(4096, 2)));
        await(plain);
        CompletableFuture<Void> fua = v.writeDurable(4096, ByteBuffer.wrap(random(4096, 3)));
        assertFalse(fua.isDone(), "a FUA write waits for its segment");
        gate.complete(null);
        await(fua);
        v.abort();
        Volume again = reopen(VolumeConfig.DEFAULT);
        assertArrayEquals(random(4096, 2), read(again, 0, 4096), "the FUA write flushed what came before it too");
        assertArrayEquals(random(4096, 3), read(again, 4096, 4096));
    }

    @Test
    void oldDirtyDataIsFlushedByAge() {
        ManualScheduler time = new ManualScheduler();
        Volume v = volume(1 << 20, VolumeConfig.builder().flushAge(Duration.ofSeconds(3)).scheduler(time).build());
        long claims = store.calls(Op.CREATE);
        CompletableFuture<Void> stored = new CompletableFuture<>();
        store.add(FaultRule.on(Op.CREATE, ".*seg/.*", FaultRule.always(), new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String key, java.util.function.Supplier<CompletableFuture<T>> proceed) {
                return proceed.get().whenComplete((x, e) -> stored.complete(null));
            }
        }));
        await(v.write(0, ByteBuffer.wrap(random(4096, 4))));
        time.advance(Duration.ofMillis(2999));
        assertEquals(claims, store.calls(Op.CREATE), "younger than the flush age: not sealed");
        time.advance(Duration.ofMillis(1));
        await(stored); // no flush was asked for: the age trigger did it
        assertEquals(claims + 1, store.calls(Op.CREATE));
    }

    @Test
    void aFullBufferMakesWritesWaitAndNeverFail() {
        // Segments of 64 KiB and room for only two of them: the third must wait for an upload.
        await(Volume.create(memory, "v", VolumeOptions.ofSize(8 << 20).withSegmentTargetBytes(64 << 10), Clock.systemUTC()));
        Volume v = reopen(VolumeConfig.builder().dirtyLimitBytes(1).build());
        CompletableFuture<Void> gate = new CompletableFuture<>();
        store.add(FaultRule.on(Op.CREATE, ".*", FaultRule.always(), FaultAction.holdUntil(gate)));
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            writes.add(v.write(i * 4096L * 4, ByteBuffer.wrap(random(4096 * 4, i))));
        }
        CompletableFuture<Void> flush = v.flush();
        assertFalse(writes.get(63).isDone(), "writes past the dirty limit wait");
        assertFalse(flush.isDone());
        gate.complete(null);
        writes.forEach(f -> await(f));
        await(v.flush());
        for (int i = 0; i < 64; i++) {
            assertArrayEquals(random(4096 * 4, i), read(v, i * 4096L * 4, 4096 * 4), "write " + i);
        }
    }

    @Test
    void aFailedUploadFailsFlushesUntilItsDataIsStored() {
        Volume v = volume(1 << 20, VolumeConfig.builder().uploadRetry(Duration.ofHours(1)).build());
        assertEquals(HealthState.OPEN, v.health());
        FaultRule down = store.add(FaultRule.on(Op.CREATE, ".*", FaultRule.always(),
                FaultAction.fail(() -> new StorageException("x", FailureCategory.TRANSIENT, "store is down"))));
        await(v.write(0, ByteBuffer.wrap(random(4096, 5))));
        VolumeUnavailableException e = failure(VolumeUnavailableException.class, v.flush());
        assertTrue(e.getMessage().contains("store is down") && e.getCause() instanceof StorageException, e.getMessage());
        assertEquals(HealthState.DEGRADED, v.health());
        await(v.write(4096, ByteBuffer.wrap(random(4096, 6))));
        failure(VolumeUnavailableException.class, v.flush());
        store.remove(down);
        await(v.flush());
        assertEquals(HealthState.OPEN, v.health());
        v.abort();
        Volume again = reopen(VolumeConfig.DEFAULT);
        assertArrayEquals(random(4096, 5), read(again, 0, 4096));
        assertArrayEquals(random(4096, 6), read(again, 4096, 4096));
    }

    @Test
    void trimAndZeroOfGibibytesAreMetadataOnly() {
        Volume v = volume(16 * GIB, VolumeConfig.DEFAULT);
        await(v.write(GIB, ByteBuffer.wrap(random(8192, 7))));
        await(v.write(9 * GIB, ByteBuffer.wrap(random(8192, 8))));
        await(v.flush());
        long written = store.bytesWritten();
        await(v.trim(0, 4 * GIB));
        await(v.writeZeroes(8 * GIB, 4 * GIB));
        await(v.flush());
        assertTrue(store.bytesWritten() - written < 64 << 10,
                "8 GiB of trim and zero wrote " + (store.bytesWritten() - written) + " bytes");
        v.abort();
        Volume again = reopen(VolumeConfig.DEFAULT);
        long gets = store.calls(Op.GET);
        assertArrayEquals(new byte[8192], read(again, GIB, 8192));
        assertArrayEquals(new byte[8192], read(again, 9 * GIB, 8192));
        List<BlockStatusRun> runs = await(again.blockStatus(0, 16 * GIB));
        assertEquals(List.of(new BlockStatusRun(0, 8 * GIB, ExtentKind.HOLE), new BlockStatusRun(8 * GIB, 4 * GIB, ExtentKind.ZERO),
                new BlockStatusRun(12 * GIB, 4 * GIB, ExtentKind.HOLE)), runs);
        long nodeGets = store.calls(Op.GET) - gets;
        read(again, 2 * GIB, 1 << 20);
        read(again, 10 * GIB, 1 << 20);
        assertEquals(nodeGets + gets, store.calls(Op.GET), "reads of holes and zero extents touch no object");
    }

    @Test
    void adjacentExtentsOfASegmentComeInOneGet() {
        Volume v = volume(64 << 20, VolumeConfig.DEFAULT);
        // Three separate writes, not in block order, one segment: the data of blocks 10..12 is contiguous in it.
        await(v.write(10 * 4096, ByteBuffer.wrap(random(4096, 10))));
        await(v.write(11 * 4096, ByteBuffer.wrap(random(4096, 11))));
        await(v.write(12 * 4096, ByteBuffer.wrap(random(4096, 12))));
        await(v.close());
        Volume again = reopen(VolumeConfig.DEFAULT);
        read(again, 0, 4096); // loads the index
        long gets = store.calls(Op.GET);
        byte[] got = read(again, 10 * 4096, 3 * 4096);
        assertEquals(gets + 1, store.calls(Op.GET));
        assertArrayEquals(random(4096, 11), Arrays.copyOfRange(got, 4096, 8192));
    }

    @Test
    void largeReadsFanOutInParallel() {
        Volume v = volume(256 << 20, VolumeConfig.builder().maxGetBytes(1 << 20).build());
        byte[] data = random(24 << 20, 13);
        await(v.write(0, ByteBuffer.wrap(data)));
        await(v.close());
        Volume again = reopen(VolumeConfig.builder().maxGetBytes(1 << 20).build());
        read(again, 0, 4096);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        java.util.concurrent.CountDownLatch twenty = new java.util.concurrent.CountDownLatch(20);
        store.add(FaultRule.on(Op.GET, ".*seg/.*", FaultRule.always(), new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String key, java.util.function.Supplier<CompletableFuture<T>> proceed) {
                twenty.countDown();
                return gate.thenCompose(x -> proceed.get());
            }
        }));
        ByteBuffer all = ByteBuffer.allocate(24 << 20);
        CompletableFuture<Void> f = again.read(0, all);
        // The read is issued as many ranged GETs at once: twenty of them wait at the gate together.
        try {
            assertTrue(twenty.await(30, TimeUnit.SECONDS), "fewer than 20 GETs in flight at once");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertFalse(f.isDone());
        gate.complete(null);
        await(f);
        assertTrue(Arrays.equals(data, all.array()));
    }

    @Test
    void concurrentSubBlockWritesIntoOneBlockAllSurvive() {
        Volume v = volume(1 << 20, VolumeConfig.DEFAULT);
        await(v.write(0, ByteBuffer.wrap(random(4096, 20))));
        await(v.close());
        Volume again = reopen(VolumeConfig.DEFAULT);
        // The block is only in the store now: each 512-byte write must read it, merge and write it back.
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        byte[] expected = random(4096, 20);
        for (int i = 0; i < 8; i++) {
            byte[] part = random(512, 30 + i);
            System.arraycopy(part, 0, expected, i * 512, 512);
            writes.add(again.write(i * 512L, ByteBuffer.wrap(part)));
        }
        writes.forEach(f -> await(f));
        assertArrayEquals(expected, read(again, 0, 4096));
        await(again.close());
        assertArrayEquals(expected, read(reopen(VolumeConfig.DEFAULT), 0, 4096));
    }

    @Test
    void flushesThatArriveDuringAnUploadShareOnePut() {
        Volume v = volume(1 << 20, VolumeConfig.DEFAULT);
        long claims = store.calls(Op.CREATE);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        CompletableFuture<Void> reached = new CompletableFuture<>();
        FaultRule held = store.add(FaultRule.on(Op.CREATE, ".*seg/.*", FaultRule.nth(1), new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String key, java.util.function.Supplier<CompletableFuture<T>> proceed) {
                reached.complete(null);
                return FaultAction.holdUntil(gate).apply(op, key, proceed);
            }
        }));
        await(v.write(0, ByteBuffer.wrap(random(4096, 40))));
        CompletableFuture<Void> first = v.flush();
        await(reached); // the first segment is indexed and its PUT sent (and held)
        List<CompletableFuture<Void>> later = new ArrayList<>();
        for (int i = 1; i <= 8; i++) {
            await(v.write(i * 4096L, ByteBuffer.wrap(random(4096, 40 + i))));
            later.add(v.flush());
            later.add(v.writeDurable((20 + i) * 4096L, ByteBuffer.wrap(random(4096, 60 + i))));
        }
        assertEquals(1, held.matched(), "the first segment's PUT is held");
        assertFalse(first.isDone());
        later.forEach(f -> assertFalse(f.isDone(), "nothing after the held PUT is durable yet"));
        gate.complete(null);
        await(first);
        later.forEach(f -> await(f));
        assertEquals(claims + 2, store.calls(Op.CREATE), "one PUT for the first flush, one shared by the 16 that came during it");
        v.abort();
        Volume again = reopen(VolumeConfig.DEFAULT);
        for (int i = 1; i <= 8; i++) {
            assertArrayEquals(random(4096, 40 + i), read(again, i * 4096L, 4096));
            assertArrayEquals(random(4096, 60 + i), read(again, (20 + i) * 4096L, 4096));
        }
    }

    @Test
    void readsOnManyThreadsSeeEveryCompletedWrite() throws Exception {
        // Readers run outside the volume lock; each checks that a write completed before its read started is seen,
        // while writers keep filling, sealing and uploading segments (64 KiB segments: many seals and buffer reuses).
        VolumeOptions small = VolumeOptions.ofSize(4L << 20).withSegmentTargetBytes(64 << 10);
        await(Volume.create(memory, "v", small, Clock.systemUTC()));
        Volume v = reopen(VolumeConfig.builder().dirtyLimitBytes(1 << 20).build());
        int blocks = 1024;
        long[] version = new long[blocks];
        AtomicLongArray acked = new AtomicLongArray(blocks);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> tasks = new ArrayList<>();
            tasks.add(pool.submit(() -> {
                Random r = new Random(7);
                for (int n = 1; n <= 6000; n++) {
                    int b = r.nextInt(blocks);
                    long ver = ++version[b];
                    await(v.write(b * 4096L, ByteBuffer.wrap(stamp(b, ver))));
                    acked.set(b, ver);
                    if (n % 500 == 0) {
                        await(v.flush());
                    }
                }
            }));
            for (int t = 0; t < 3; t++) {
                long seed = t;
                tasks.add(pool.submit(() -> {
                    Random r = new Random(100 + seed);
                    for (int n = 0; n < 6000; n++) {
                        int b = r.nextInt(blocks);
                        long before = acked.get(b);
                        ByteBuffer got = ByteBuffer.allocateDirect(4096);
                        await(v.read(b * 4096L, got));
                        long seen = got.getLong(8); // 0: never written, all zeros
                        assertEquals(seen == 0 ? 0 : b, got.getLong(0), "block " + b + " holds another block's data");
                        if (seen < before) {
                            throw new AssertionError("block " + b + ": read version " + seen + " after version " + before + " was acknowledged");
                        }
                        for (int i = 16; i < 4096; i += 8) {
                            assertEquals(seen, got.getLong(i), "block " + b + " is torn at byte " + i);
                        }
                    }
                }));
            }
            for (Future<?> f : tasks) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(v.stats().segmentsWritten() > 20, "segments written: " + v.stats().segmentsWritten());
    }

    /** A block whose first long is its number and whose other longs are all {@code version}. */
    private static byte[] stamp(long block, long version) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        b.putLong(0, block);
        for (int i = 8; i < 4096; i += 8) {
            b.putLong(i, version);
        }
        return b.array();
    }

    /** Creates a 64 MiB volume "v", writes {@code length} random bytes from offset 0, closes it; returns the bytes. */
    private byte[] writtenVolume(int length, long seed) {
        await(Volume.create(memory, "v", VolumeOptions.ofSize(64L << 20), Clock.systemUTC()));
        Volume writer = reopen(VolumeConfig.DEFAULT);
        byte[] data = random(length, seed);
        await(writer.write(0, ByteBuffer.wrap(data)));
        await(writer.close());
        return data;
    }

    @Test
    void sequentialReadsFetchAheadAndRandomReadsDoNot() {
        byte[] data = writtenVolume(16 << 20, 70);
        long window = 4L << 20;
        Volume v = reopen(VolumeConfig.builder().readAheadBytes(window).build());
        // Random reads: no read-ahead.
        Random r = new Random(5);
        for (int i = 0; i < 20; i++) {
            long at = r.nextInt(4096) * 4096L;
            assertArrayEquals(Arrays.copyOfRange(data, (int) at, (int) at + 4096), read(v, at, 4096));
        }
        assertEquals(0, v.stats().readAheadBytes(), "random reads fetch nothing ahead");
        // Sequential 64 KiB reads: the store is asked for data beyond them before they get there.
        for (long at = 0; at < (1 << 20); at += 65536) {
            assertArrayEquals(Arrays.copyOfRange(data, (int) at, (int) at + 65536), read(v, at, 65536));
        }
        long gets = store.calls(Op.GET);
        long ahead = v.stats().readAheadBytes();
        assertTrue(ahead >= window / 2, "fetched ahead: " + ahead);
        // The reads that follow find nothing new to fetch ahead until they reach the window's second half.
        assertArrayEquals(Arrays.copyOfRange(data, 1 << 20, (1 << 20) + 65536), read(v, 1 << 20, 65536));
        assertEquals(gets + 1, store.calls(Op.GET), "one GET for the read itself, none ahead");
    }

    @Test
    void interleavedSequentialStreamsEachFetchAhead() {
        byte[] data = writtenVolume(32 << 20, 71);
        long window = 1L << 20;
        Volume v = reopen(VolumeConfig.builder().readAheadBytes(window).build());
        // As many sequential readers as are followed (say one per connection), their 64 KiB reads interleaved.
        int streams = ReadAhead.STREAMS;
        long spacing = (32L << 20) / streams;
        for (int step = 0; step < 8; step++) {
            for (int k = 0; k < streams; k++) {
                long at = k * spacing + step * 65536L;
                assertArrayEquals(Arrays.copyOfRange(data, (int) at, (int) at + 65536), read(v, at, 65536));
            }
        }
        long ahead = v.stats().readAheadBytes();
        assertTrue(ahead >= streams * (window / 2), "each stream fetched at least half a window ahead: " + ahead);
        // Each stream's next read is inside what was fetched ahead for it: nothing new to fetch yet.
        for (int k = 0; k < streams; k++) {
            long at = k * spacing + 8 * 65536L;
            assertArrayEquals(Arrays.copyOfRange(data, (int) at, (int) at + 65536), read(v, at, 65536));
        }
        assertEquals(ahead, v.stats().readAheadBytes(), "nothing new to fetch until a stream nears its window's end");
    }

    @Test
    void moreInterleavedStreamsThanAreFollowedGetNoReadAhead() {
        byte[] data = writtenVolume(32 << 20, 72);
        Volume v = reopen(VolumeConfig.builder().readAheadBytes(1L << 20).build());
        // One stream more than the table holds, read round robin: each read finds its stream evicted.
        int streams = ReadAhead.STREAMS + 1;
        long spacing = (32L << 20) / streams & ~4095L;
        for (int step = 0; step < 6; step++) {
            for (int k = 0; k < streams; k++) {
                long at = k * spacing + step * 65536L;
                assertArrayEquals(Arrays.copyOfRange(data, (int) at, (int) at + 65536), read(v, at, 65536));
            }
        }
        assertEquals(0, v.stats().readAheadBytes(), "streams evicted before their next read fetch nothing");
    }
}
