package io.hyperfile.core.volume;

import io.hyperfile.core.store.ManualScheduler;
import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.checkpoint.CheckpointLocator;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.local.LocalDirectoryObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11's scenarios: ordinary object-store trouble must never fence, hang or lock a healthy volume. Each test
 * failed on the engine before the volume got one health state machine (see the comment on each).
 */
class VolumeFailureModelTest {
    private static final int SIZE = 4 << 20;

    private ObjectStore backend = new InMemoryObjectStore();
    private FlakyObjectStore store = new FlakyObjectStore(backend);
    private final ManualScheduler time = new ManualScheduler();
    private final List<Volume> open = new ArrayList<>();
    private final List<CompletableFuture<?>> gates = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void abortAll() {
        gates.forEach(g -> g.complete(null));
        open.forEach(Volume::abort);
    }

    private VolumeConfig.Builder config() {
        return VolumeConfig.builder().scheduler(time).flushAge(Duration.ofHours(1)).uploadRetry(Duration.ofSeconds(2))
                .flushDeadline(Duration.ofSeconds(30));
    }

    private Volume create(VolumeConfig config) {
        await(Volume.create(backend, "v", new VolumeOptions(SIZE, 4096, 64 << 10, 512), Clock.systemUTC()));
        return reopen(config);
    }

    private Volume reopen(VolumeConfig config) {
        Volume v = await(Volume.open(store, "v", "t", config));
        open.add(v);
        return v;
    }

    private static ByteBuffer block(int value) {
        byte[] b = new byte[4096];
        Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    private static byte[] read(Volume v, long offset, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        await(v.read(offset, b));
        return b.array();
    }

    private static Supplier<Throwable> transientError(String what) {
        return () -> new StorageException("x", FailureCategory.TRANSIENT, what);
    }

    /** Holds the matching requests until the returned gate completes; {@code reached} completes when one arrives. */
    private FaultAction hold(CompletableFuture<Void> gate, CompletableFuture<Void> reached) {
        gates.add(gate);
        return new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                reached.complete(null);
                return FaultAction.holdUntil(gate).apply(op, key, proceed);
            }
        };
    }

    private String segmentKey(long seq) {
        return SegmentKeys.segment("v/", seq);
    }

    // ---------------------------------------------------------------- scenario 1

    /** Before: the retry found the segment there and the volume fenced itself ("taken over by another writer"). */
    @Test
    void anUploadThatLandedButWhoseAnswerWasLostIsRecognisedAsOwn() {
        checkOwnSegmentRecognised();
    }

    /** The same on the local store, where the link can succeed and the directory sync after it throw. */
    @Test
    void onTheLocalStoreToo() {
        backend = new LocalDirectoryObjectStore(dir);
        store = new FlakyObjectStore(backend);
        checkOwnSegmentRecognised();
    }

    private void checkOwnSegmentRecognised() {
        Volume v = create(config().build());
        store.add(FaultRule.on(Op.CREATE, ".*seg/.*", FaultRule.nth(1),
                FaultAction.failAfterApplying(transientError("connection reset after the PUT was applied"))));
        await(v.write(0, block(7)));
        VolumeUnavailableException e = failure(VolumeUnavailableException.class, v.flush());
        assertTrue(e.getMessage().contains("connection reset"), e.getMessage());
        assertEquals(HealthState.DEGRADED, v.health());
        await(v.flush()); // retried at once: finds its own segment
        assertEquals(HealthState.OPEN, v.health());
        assertEquals(1, v.stats().ownSegmentsRecognised());
        await(v.write(4096, block(8)));
        await(v.flush());
        v.abort();
        Volume again = reopen(config().build());
        assertArrayEquals(block(7).array(), read(again, 0, 4096));
        assertArrayEquals(block(8).array(), read(again, 4096, 4096));
    }

    /** The check reads the object back: another writer's segment at that seq still fences. */
    @Test
    void aSegmentOfAnotherWriterAtTheSameSeqStillFences() {
        Volume a = create(config().build());
        Volume b = reopen(config().build()); // claims the next seq: a is now behind
        await(a.write(0, block(1)));
        VolumeFencedException fenced = failure(VolumeFencedException.class, a.flush());
        assertTrue(fenced.getMessage().contains("already exists with other contents"), fenced.getMessage());
        assertEquals(HealthState.FENCED, a.health());
        await(b.write(0, block(2)));
        await(b.flush());
        assertEquals(HealthState.OPEN, b.health());
    }

    // ---------------------------------------------------------------- scenarios 2 and 3

    /**
     * Before: with the node cache unable to keep the new index nodes, a read through the new root fetched a segment
     * that was still uploading (404 → EIO), and the next index update made the volume read-only.
     */
    @Test
    void indexNodesOfASegmentStillUploadingStayReadableWithoutANodeCache() {
        Volume v = create(config().nodeCacheBytes(0).build());
        for (int i = 0; i < 64; i++) {
            await(v.write(i * 4096L * 3, block(i + 1)));
        }
        await(v.flush()); // the first data segment is durable; its blocks are read through the index from now on
        CompletableFuture<Void> gate = new CompletableFuture<>();
        CompletableFuture<Void> reached = new CompletableFuture<>();
        store.add(FaultRule.on(Op.CREATE, ".*seg/.*", FaultRule.nth(1), hold(gate, reached)));
        List<String> gets = new java.util.concurrent.CopyOnWriteArrayList<>();
        store.add(FaultRule.on(Op.GET, ".*seg/.*", FaultRule.always(), recording(gets)));
        await(v.write(1, ByteBuffer.wrap(new byte[] {9}))); // changes the index: a new root in the held segment
        CompletableFuture<Void> flush = v.flush();
        await(reached);
        long held = await(v.durableSeq()) + 1;
        for (int i = 0; i < 64; i++) {
            byte[] expected = block(i + 1).array();
            if (i == 0) {
                expected[1] = 9;
            }
            assertArrayEquals(expected, read(v, i * 4096L * 3, 4096), "block " + i);
        }
        // More writes indexed on top of the held segment's nodes (a full 64 KiB builder seals without a flush).
        for (int i = 0; i < 40; i++) {
            await(v.write(i * 4096L * 3 + 4096, block(100 + i)));
        }
        assertFalse(flush.isDone());
        assertEquals(HealthState.OPEN, v.health());
        assertEquals(List.of(), gets.stream().filter(k -> SegmentKeys.parseSegment("v/", k) >= held).toList(),
                "no GET for a segment that is not stored yet");
        gate.complete(null);
        await(flush);
        await(v.flush());
        v.abort();
        Volume again = reopen(config().build());
        for (int i = 0; i < 40; i++) {
            assertArrayEquals(block(100 + i).array(), read(again, i * 4096L * 3 + 4096, 4096));
        }
    }

    /** Before: read-ahead sent GETs for a segment still uploading (a caching store below shares such a 404). */
    @Test
    void readAheadNeverAsksTheStoreForASegmentStillUploading() {
        Volume v = create(config().readAheadBytes(1 << 20).build());
        CompletableFuture<Void> gate = new CompletableFuture<>();
        CompletableFuture<Void> reached = new CompletableFuture<>();
        store.add(FaultRule.on(Op.CREATE, ".*seg/.*", FaultRule.nth(1), hold(gate, reached)));
        List<String> gets = new java.util.concurrent.CopyOnWriteArrayList<>();
        store.add(FaultRule.on(Op.GET, ".*seg/.*", FaultRule.always(), recording(gets)));
        for (int i = 0; i < 12; i++) {
            await(v.write(i * 4096L, block(i + 1)));
        }
        CompletableFuture<Void> flush = v.flush();
        await(reached);
        for (int i = 0; i < 12; i++) {
            assertArrayEquals(block(i + 1).array(), read(v, i * 4096L, 4096));
        }
        assertTrue(v.stats().readAheadBytes() > 0, "read-ahead ran");
        assertEquals(List.of(), gets, "every fetch of the unsettled segment was answered from memory");
        gate.complete(null);
        await(flush);
    }

    /** Lets every request through and records its key. */
    private static FaultAction recording(List<String> keys) {
        return new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                keys.add(key);
                return proceed.get();
            }
        };
    }

    // ---------------------------------------------------------------- scenario 4

    /** Before: a stalled upload kept every FLUSH waiting forever. */
    @Test
    void aFlushThatCannotBeMadeDurableFailsByItsDeadlineAndTheDataIsKept() {
        Volume v = create(config().build());
        CompletableFuture<Void> gate = new CompletableFuture<>();
        CompletableFuture<Void> reached = new CompletableFuture<>();
        store.add(FaultRule.on(Op.CREATE, ".*seg/.*", FaultRule.nth(1), hold(gate, reached)));
        await(v.write(0, block(3)));
        CompletableFuture<Void> flush = v.flush();
        await(reached);
        time.advance(Duration.ofSeconds(29));
        assertFalse(flush.isDone());
        time.advance(Duration.ofSeconds(1));
        VolumeUnavailableException e = failure(VolumeUnavailableException.class, flush);
        assertTrue(e.getMessage().contains("not durable within 30000 ms"), e.getMessage());
        assertArrayEquals(block(3).array(), read(v, 0, 4096), "the data stays readable");
        gate.complete(null); // the upload lands after all
        await(v.flush());
        v.abort();
        assertArrayEquals(block(3).array(), read(reopen(config().build()), 0, 4096));
    }

    /** With the store down and the dirty budget used up, a write fails by the deadline instead of hanging. */
    @Test
    void aWriteWaitingForBufferMemoryFailsByTheDeadline() {
        Volume v = create(config().dirtyLimitBytes(2 * 80 << 10).build());
        store.add(FaultRule.on(Op.CREATE, ".*seg/.*", FaultRule.always(), FaultAction.fail(transientError("store is down"))));
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            writes.add(v.write(i * 4096L, block(i)));
        }
        CompletableFuture<Void> last = writes.get(writes.size() - 1);
        assertFalse(last.isDone(), "the buffers are full: writes wait");
        time.advance(Duration.ofSeconds(31));
        failure(VolumeUnavailableException.class, last);
        assertTrue(v.health().acceptsWrites());
    }

    // ---------------------------------------------------------------- scenario 5

    /** Before: any indexing error (a node GET that failed for good) made the volume read-only until reopened. */
    @Test
    void aTransientFailureWhileIndexingIsRetriedAndNeverMakesTheVolumeReadOnly() {
        Volume v = create(config().nodeCacheBytes(0).build());
        for (int i = 0; i < 64; i++) {
            await(v.write(i * 4096L * 2, block(i)));
        }
        await(v.flush());
        FaultRule down = store.add(FaultRule.on(Op.GET, ".*seg/.*", FaultRule.always(),
                FaultAction.fail(transientError("GET timed out"))));
        await(v.write(4096, block(99)));
        VolumeUnavailableException e = failure(VolumeUnavailableException.class, v.flush());
        assertTrue(e.getMessage().contains("indexing segment"), e.getMessage());
        assertEquals(HealthState.DEGRADED, v.health());
        await(v.write(3 * 4096, block(98))); // still writable
        store.remove(down);
        time.advance(Duration.ofSeconds(2));
        await(v.flush());
        assertEquals(HealthState.OPEN, v.health());
        v.abort();
        Volume again = reopen(config().build());
        assertArrayEquals(block(99).array(), read(again, 4096, 4096));
        assertArrayEquals(block(98).array(), read(again, 3 * 4096, 4096));
    }

    /** Proven corruption, on the other hand, does switch to read-only. */
    @Test
    void corruptionFoundWhileIndexingMakesTheVolumeReadOnly() {
        Volume v = create(config().nodeCacheBytes(0).build());
        for (int i = 0; i < 64; i++) {
            await(v.write(i * 4096L * 2, block(i)));
        }
        await(v.flush());
        long newest = await(v.durableSeq());
        for (long seq = 1; seq <= newest; seq++) {
            byte[] seg = await(backend.get(segmentKey(seq), ByteRange.all())).toByteArray();
            SegmentFooter footer = await(new SegmentReader(backend, "v/", 4096).footer(seq));
            for (long i = footer.nodeOffset(); i < footer.nodeOffset() + footer.nodeLength(); i++) {
                boolean root = seq == newest && i >= footer.rootOffset() && i < footer.rootOffset() + footer.rootLength();
                if (!root) {
                    seg[(int) i] ^= 0x5a; // every index node but the newest root
                }
            }
            await(backend.put(segmentKey(seq), ByteBuffer.wrap(seg)));
        }
        v.abort();
        v = reopen(config().nodeCacheBytes(0).build()); // nothing of the old index left in memory
        await(v.write(4096, block(99)));
        failure(ReadOnlyVolumeException.class, v.flush());
        assertEquals(HealthState.READ_ONLY, v.health());
        failure(ReadOnlyVolumeException.class, v.write(0, block(1)));
    }

    // ---------------------------------------------------------------- scenario 11

    /** Before: the dead writer's late PUT took the seq the new writer meant to use, and the new writer fenced itself. */
    @Test
    void aLatePutOfAKilledWriterDoesNotFenceTheWriterThatReopened() {
        Volume dead = create(config().build());
        CompletableFuture<Void> gate = new CompletableFuture<>();
        CompletableFuture<Void> reached = new CompletableFuture<>();
        store.add(FaultRule.on(Op.CREATE, ".*seg/.*", FaultRule.nth(1), hold(gate, reached)));
        await(dead.write(0, block(1)));
        CompletableFuture<Void> lost = dead.flush(); // its PUT is on the wire when the server dies
        await(reached);
        Volume next = reopen(config().build()); // the restarted server: claims the next seq at once
        gate.complete(null); // the dead writer's PUT arrives late
        failure(VolumeFencedException.class, lost);
        await(next.write(4096, block(2)));
        await(next.flush());
        assertEquals(HealthState.OPEN, next.health());
        assertArrayEquals(new byte[4096], read(next, 0, 4096), "the unacknowledged write is not there");
        assertArrayEquals(block(2).array(), read(next, 4096, 4096));
    }

    /** A newest segment that is still incomplete is read again until it is whole. */
    @Test
    void aNewestSegmentStillBeingWrittenIsReadAgainUntilItIsWhole() {
        long seq = volumeWithOneFlush();
        byte[] whole = await(backend.get(segmentKey(seq), ByteRange.all())).toByteArray();
        await(backend.put(segmentKey(seq), ByteBuffer.wrap(Arrays.copyOf(whole, whole.length / 2))));
        CompletableFuture<Volume> opening = Volume.open(store, "v", "t", config().openRetry(Duration.ofSeconds(10)).build());
        waitForRetryTimer();
        assertFalse(opening.isDone());
        await(backend.put(segmentKey(seq), ByteBuffer.wrap(whole))); // the store finished writing it
        time.advance(Duration.ofMillis(250));
        Volume again = await(opening);
        open.add(again);
        assertArrayEquals(block(5).array(), read(again, 0, 4096));
    }

    /** If it stays incomplete, the open fails naming the object and what is wrong with it. */
    @Test
    void aNewestSegmentThatStaysIncompleteFailsTheOpenWithAClearMessage() {
        long seq = volumeWithOneFlush();
        byte[] whole = await(backend.get(segmentKey(seq), ByteRange.all())).toByteArray();
        await(backend.put(segmentKey(seq), ByteBuffer.wrap(Arrays.copyOf(whole, 40))));
        CompletableFuture<Volume> opening = Volume.open(store, "v", "t", config().openRetry(Duration.ofSeconds(2)).build());
        for (int i = 0; i < 4 && !opening.isDone(); i++) {
            waitForRetryTimer();
            time.advance(Duration.ofSeconds(1));
        }
        CorruptionException e = failure(CorruptionException.class, opening);
        assertTrue(e.getMessage().contains(segmentKey(seq)), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("stayed so through"), e.getMessage());
    }

    /** A volume holding block 5 at offset 0, closed as by a crash; returns its newest segment's seq. */
    private long volumeWithOneFlush() {
        Volume v = create(config().build());
        await(v.write(0, block(5)));
        await(v.flush());
        v.abort();
        return await(CheckpointLocator.newestSegment(backend, "v/"));
    }

    /** The open schedules its next read on the manual clock; wait (bounded) until it has. */
    private void waitForRetryTimer() {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (time.pending() == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(time.pending() > 0, "the open scheduled a retry");
    }
}
