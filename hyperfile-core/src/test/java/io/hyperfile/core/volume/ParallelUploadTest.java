package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.gc.GarbageCollector;
import io.hyperfile.core.gc.GcConfig;
import io.hyperfile.core.gc.GcPassReport;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ManualScheduler;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Several segment uploads in flight (docs/FORMAT.md, "Finding the newest checkpoint"): uploads held and released out
 * of order; a FLUSH waits for every segment up to its own; a crash with a later segment stored and an earlier one
 * not reopens at the complete prefix, the orphan is skipped by the next writer, reported by fsck and deleted by GC.
 */
class ParallelUploadTest {
    private static final int BLOCK = 4096;
    /** 15 blocks per segment. */
    private static final int SEGMENT_TARGET = 64 << 10;
    private static final int SEGMENT_BLOCKS = 15;

    private final InMemoryObjectStore memory = new InMemoryObjectStore();
    private final FlakyObjectStore store = new FlakyObjectStore(memory);
    private final List<Volume> open = new ArrayList<>();
    private final ExecutorService checker = Executors.newSingleThreadExecutor();

    @AfterEach
    void close() {
        open.forEach(Volume::abort);
        checker.shutdownNow();
    }

    private static VolumeConfig config(int parallelism) {
        return VolumeConfig.builder().flushAge(Duration.ofHours(1)).uploadParallelism(parallelism).hintEverySegments(1)
                .build();
    }

    /** The seqs the volume writes into its head hint, in order. */
    private List<Long> recordHints() {
        List<Long> hints = java.util.Collections.synchronizedList(new ArrayList<>());
        store.add(FaultRule.on(Op.PUT, Pattern.quote(SegmentKeys.hint("v/")), FaultRule.always(), new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String k, Supplier<CompletableFuture<T>> proceed) {
                return proceed.get().whenComplete((x, e) -> hints.add(Long.parseLong(new String(await(
                        memory.get(k, io.hyperfile.core.store.ByteRange.all())).toByteArray(),
                        java.nio.charset.StandardCharsets.US_ASCII).trim())));
            }
        }));
        return hints;
    }

    private Volume create(int parallelism) {
        await(Volume.create(memory, "v", VolumeOptions.ofSize(8 << 20).withSegmentTargetBytes(SEGMENT_TARGET), Clock.systemUTC()));
        return open(store, parallelism);
    }

    private Volume open(ObjectStore s, int parallelism) {
        Volume v = await(Volume.open(s, "v", "t", config(parallelism)));
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

    private static String key(long seq) {
        return SegmentKeys.segment("v/", seq);
    }

    private TreeSet<Long> segments() {
        return await(memory.listAll(SegmentKeys.segmentPrefix("v/"), null)).stream()
                .map(o -> SegmentKeys.parseSegment("v/", o.key())).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Holds the create of segment {@code seq} until {@code gate} completes. */
    private void hold(long seq, CompletableFuture<Void> gate) {
        store.add(FaultRule.on(Op.CREATE, Pattern.quote(key(seq)), FaultRule.always(), FaultAction.holdUntil(gate)));
    }

    /** Completes once the create of segment {@code seq} has been answered. */
    private CompletableFuture<Void> landed(long seq) {
        CompletableFuture<Void> landed = new CompletableFuture<>();
        store.add(FaultRule.on(Op.CREATE, Pattern.quote(key(seq)), FaultRule.always(), new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String k, Supplier<CompletableFuture<T>> proceed) {
                return proceed.get().whenComplete((x, e) -> landed.complete(null));
            }
        }));
        return landed;
    }

    /** Three full segments of data at block 0: segments {@code first}, {@code first + 1}, {@code first + 2} seal. */
    private byte[] fillThreeSegments(Volume v) {
        byte[] data = random(3 * SEGMENT_BLOCKS * BLOCK + BLOCK, 1);
        await(v.write(0, ByteBuffer.wrap(data)));
        return data;
    }

    @Test
    void aFlushWaitsForAnEarlierSegmentThatLandsAfterALaterOne() {
        Volume v = create(4);
        long first = await(v.nextSeq());
        CompletableFuture<Void> gate = new CompletableFuture<>();
        hold(first, gate);
        CompletableFuture<Void> secondLanded = landed(first + 1);
        List<Long> hints = recordHints();
        byte[] data = fillThreeSegments(v);
        CompletableFuture<Void> flush = v.flush();
        await(secondLanded);
        assertTrue(segments().contains(first + 1), "the later segment is stored");
        assertFalse(segments().contains(first), "the earlier one is held");
        assertFalse(flush.isDone(), "a flush waits for every segment up to its own");
        assertEquals(first - 1, await(v.durableSeq()), "the durable prefix stops before the held segment");
        assertTrue(hints.stream().allMatch(h -> h < first), "a hint names only the durable prefix: " + hints);
        gate.complete(null);
        await(flush);
        assertFalse(hints.isEmpty());
        assertTrue(await(v.durableSeq()) >= first + 2);
        SegmentFooter f = await(new SegmentReader(memory, "v/", BLOCK).footer(first + 1));
        assertEquals(first - 1, f.floor(), "segment " + (first + 1) + " was finished while " + first + " was in flight");
        v.abort();
        assertArrayEquals(data, read(open(memory, 4), 0, data.length));
    }

    /**
     * Records each segment create as "call S" and "done S"; holds the create of {@code heldSeq} until {@code gate}
     * completes, and completes {@code sent} when it has been called.
     */
    private List<String> recordCreates(long heldSeq, CompletableFuture<Void> gate, CompletableFuture<Void> sent) {
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        store.add(FaultRule.on(Op.CREATE, ".*/seg/.*", FaultRule.always(), new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String k, Supplier<CompletableFuture<T>> proceed) {
                long seq = SegmentKeys.parseSegment("v/", k);
                events.add("call " + seq);
                CompletableFuture<T> result;
                if (seq == heldSeq) {
                    sent.complete(null);
                    result = gate.thenCompose(x -> proceed.get());
                } else {
                    result = proceed.get();
                }
                return result.whenComplete((x, e) -> events.add("done " + seq));
            }
        }));
        return events;
    }

    @ParameterizedTest(name = "upload.parallelism {0}")
    @ValueSource(ints = {1, 4})
    void parallelismBoundsTheCreatesInFlight(int parallelism) {
        Volume v = create(parallelism);
        long first = await(v.nextSeq());
        CompletableFuture<Void> gate = new CompletableFuture<>();
        CompletableFuture<Void> sent = new CompletableFuture<>();
        List<String> events = recordCreates(first, gate, sent);
        fillThreeSegments(v);
        CompletableFuture<Void> flush = v.flush();
        await(sent);
        if (parallelism > 1) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!events.contains("done " + (first + 1)) && System.nanoTime() < deadline) {
                Thread.onSpinWait(); // the next segment's create goes out (and lands) while the first is held
            }
            assertTrue(events.contains("done " + (first + 1)), events.toString());
            assertFalse(flush.isDone());
        } else {
            for (int i = 0; i < 20; i++) {
                await(v.nextSeq()); // give the volume thread time to finish the next segment
            }
        }
        gate.complete(null);
        await(flush);
        List<String> log = List.copyOf(events);
        int inFlight = 0;
        int most = 0;
        for (String e : log) {
            inFlight += e.startsWith("call ") ? 1 : -1;
            most = Math.max(most, inFlight);
        }
        assertTrue(most <= parallelism, "at most " + parallelism + " in flight: " + log);
        if (parallelism == 1) {
            for (long seq = first + 1; log.contains("call " + seq); seq++) {
                assertTrue(log.indexOf("done " + (seq - 1)) < log.indexOf("call " + seq), "one at a time, in order: " + log);
            }
        } else {
            assertTrue(log.indexOf("done " + (first + 1)) < log.indexOf("done " + first), "out of order: " + log);
        }
    }

    @Test
    void aCrashWithALaterSegmentStoredAndAnEarlierNotReopensAtTheCompletePrefix() throws Exception {
        Volume v = create(4);
        byte[] before = random(2 * BLOCK, 9);
        await(v.write(200L * BLOCK, ByteBuffer.wrap(before)));
        await(v.flush());
        long first = await(v.nextSeq());
        CompletableFuture<Void> gate = new CompletableFuture<>();
        hold(first, gate);
        CompletableFuture<Void> secondLanded = landed(first + 1);
        fillThreeSegments(v);
        v.flush();
        await(secondLanded);
        Thread crash = new Thread(v::abort); // crash: the held create stays unanswered (abort waits for it)
        crash.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (v.health() != HealthState.CLOSED && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(HealthState.CLOSED, v.health(), "the writer is dead: it sends nothing more");
        TreeSet<Long> stored = segments();
        assertFalse(stored.contains(first));
        List<Long> orphans = new ArrayList<>(stored.tailSet(first, false));
        assertTrue(orphans.contains(first + 1), "the later segment is stored: " + stored);

        VolumeChecker.Report fsck = await(VolumeChecker.check(memory, "v/", checker, n -> { }));
        assertTrue(fsck.isClean(), "orphans are not corruption: " + fsck.problems());
        assertEquals(orphans, fsck.orphans());
        assertEquals(first - 1, fsck.newestSeq());

        Volume again = open(store, 4);
        assertEquals(stored.last() + 1, await(again.durableSeq()), "the claim goes above every orphan");
        assertArrayEquals(new byte[3 * SEGMENT_BLOCKS * BLOCK], read(again, 0, 3 * SEGMENT_BLOCKS * BLOCK),
                "nothing of the unflushed segments");
        assertArrayEquals(before, read(again, 200L * BLOCK, 2 * BLOCK), "the flushed data survives");

        gate.complete(null); // the dead writer's create of `first` lands late: one more orphan, harmless
        crash.join();
        byte[] after = random(4 * BLOCK, 10);
        await(again.write(0, ByteBuffer.wrap(after)));
        await(again.flush());
        assertTrue(segments().contains(first), "the late create landed below the claim");
        VolumeChecker.Report mid = await(VolumeChecker.check(memory, "v/", checker, n -> { }));
        assertTrue(mid.isClean(), mid.problems().toString());
        assertEquals(List.of(), mid.orphans(), "below the newest checkpoint they are plain garbage");

        GcConfig eager = GcConfig.DEFAULT.withGrace(Duration.ZERO).withCompactBelow(0).withMinGarbageRatio(0)
                .withRateBytesPerSecond(0).withRateRequestsPerSecond(0);
        GcPassReport pass = await(new GarbageCollector(store, "v/", again, eager, Clock.systemUTC(), RetryScheduler.system())
                .runPass(false, line -> { }));
        assertTrue(pass.deletedSegments().contains(first), pass.toString());
        for (long orphan : orphans) {
            assertTrue(pass.deletedSegments().contains(orphan), "orphan " + orphan + " deleted: " + pass);
        }
        again.abort();
        Volume third = open(memory, 4);
        assertArrayEquals(after, read(third, 0, after.length));
        assertArrayEquals(before, read(third, 200L * BLOCK, 2 * BLOCK));
        assertTrue(await(VolumeChecker.check(memory, "v/", checker, n -> { })).isClean());
    }

    /**
     * The newest checkpoint is a segment sealed by age while its predecessor was in flight, and it overwrote all of
     * that predecessor: the predecessor is unreferenced but above the newest checkpoint's floor, so a pass must keep
     * it (deleting it would make that checkpoint incomplete, and a crash would then reopen at an older one, losing
     * flushed data).
     */
    @Test
    void garbageCollectionKeepsWhatIsAboveTheNewestCheckpointsFloor() {
        ManualScheduler time = new ManualScheduler();
        await(Volume.create(memory, "v", VolumeOptions.ofSize(8 << 20).withSegmentTargetBytes(SEGMENT_TARGET), Clock.systemUTC()));
        Volume v = await(Volume.open(store, "v", "t", config(4).toBuilder().flushAge(Duration.ofSeconds(1)).scheduler(time).build()));
        open.add(v);
        await(v.write(100L * BLOCK, ByteBuffer.wrap(random(BLOCK, 1))));
        await(v.flush());
        long k = await(v.nextSeq());
        CompletableFuture<Void> gate = new CompletableFuture<>();
        hold(k, gate);
        CompletableFuture<Void> nextLanded = landed(k + 1);
        byte[] last = random(15 * BLOCK, 4);
        await(v.write(0, ByteBuffer.wrap(random(SEGMENT_BLOCKS * BLOCK, 2)))); // k: blocks 0..14
        await(v.write(15L * BLOCK, ByteBuffer.wrap(last, 14 * BLOCK, BLOCK))); // seals k (held); k + 1: block 15
        await(v.write(0, ByteBuffer.wrap(last, 0, 14 * BLOCK))); // k + 1: blocks 0..13
        await(v.trim(14L * BLOCK, BLOCK)); // and 14: k + 1 overwrites all of k
        time.advance(Duration.ofSeconds(1)); // the flush age seals k + 1 while k is held
        await(nextLanded);
        CompletableFuture<Void> flush = v.flush();
        gate.complete(null);
        await(flush);
        SegmentFooter newest = await(new SegmentReader(memory, "v/", BLOCK).footer(k + 1));
        assertTrue(newest.floor() < k, "k + 1 was finished while k was in flight: " + newest);

        GcConfig eager = GcConfig.DEFAULT.withGrace(Duration.ZERO).withCompactBelow(0).withMinGarbageRatio(0)
                .withRateBytesPerSecond(0).withRateRequestsPerSecond(0);
        GcPassReport pass = await(new GarbageCollector(store, "v/", v, eager, Clock.systemUTC(), RetryScheduler.system())
                .runPass(false, line -> { }));
        assertEquals(k + 1, pass.newestSeq(), pass.toString());
        assertFalse(pass.deletedSegments().contains(k), "k is unreferenced but above the floor: " + pass);
        v.abort();
        VolumeChecker.Report fsck = await(VolumeChecker.check(memory, "v/", checker, n -> { }));
        assertTrue(fsck.isClean(), fsck.problems().toString());
        assertEquals(k + 1, fsck.newestSeq(), "k + 1 is still complete");
        Volume again = open(memory, 4);
        byte[] expected = new byte[16 * BLOCK];
        System.arraycopy(last, 0, expected, 0, 14 * BLOCK);
        System.arraycopy(last, 14 * BLOCK, expected, 15 * BLOCK, BLOCK);
        assertArrayEquals(expected, read(again, 0, 16 * BLOCK), "the flushed state");
    }
}
