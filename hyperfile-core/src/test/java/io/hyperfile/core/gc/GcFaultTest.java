package io.hyperfile.core.gc;

import static io.hyperfile.core.gc.GcFixture.BLOCKS;
import static io.hyperfile.core.gc.GcFixture.BS;
import static io.hyperfile.core.gc.GcFixture.EAGER;
import static io.hyperfile.core.gc.GcFixture.PREFIX;
import static io.hyperfile.core.gc.GcFixture.SIZE;
import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ManualScheduler;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What a pass does when the store misbehaves: errors make it fail cleanly (nothing lost, the next pass finishes
 * the work); a corrupt block it must move stops it before it changes anything, naming the segment.
 */
class GcFaultTest {
    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final Random rnd = new Random(3);
    private final byte[] model = new byte[SIZE];

    @Test
    void passesThatMeetStoreErrorsFailCleanlyAndALaterPassFinishesTheWork() {
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        GcFixture.overwriteAllBut(v, model, rnd, 8);
        FlakyObjectStore flaky = new FlakyObjectStore(store);
        // Every third request of the collector fails (after the store's own retries, as a caller sees it).
        flaky.add(FaultRule.on(EnumSet.of(FlakyObjectStore.Op.GET, FlakyObjectStore.Op.LIST, FlakyObjectStore.Op.DELETE_ALL),
                ".*", n -> n % 3 == 0, FaultAction.fail(() -> FaultAction.serviceUnavailable("injected"))));
        int failed = 0;
        for (int i = 0; i < 5; i++) {
            CompletableFuture<GcPassReport> pass = GcFixture.collector(flaky, v, EAGER, Clock.systemUTC()).runPass(false, l -> { });
            try {
                pass.get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                assertTrue(Exceptions.unwrap(e) instanceof StorageException, "fails with the store's error: " + e);
                failed++;
            } catch (Exception e) {
                throw new AssertionError("pass " + i + " did not finish", e);
            }
            assertArrayEquals(model, GcFixture.readAll(v), "after pass " + i + " with store errors");
            assertTrue(GcFixture.measure(store).isComplete(), "after pass " + i);
        }
        assertTrue(failed > 0, "the injected errors made passes fail");

        flaky.clearRules();
        GcFixture.pass(flaky, v, EAGER);
        GcFixture.pass(flaky, v, EAGER);
        SpaceReport after = GcFixture.measure(store);
        assertTrue(after.isComplete(), after.problems().toString());
        assertTrue(after.spaceAmplification() < 1.5, "the work got done once the store recovered: " + after.spaceAmplification());
        v.abort();
        Volume reopened = GcFixture.open(store);
        assertArrayEquals(model, GcFixture.readAll(reopened));
        reopened.abort();
    }

    @Test
    void aCorruptBlockToMoveStopsThePassBeforeItChangesAnything() {
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        GcFixture.overwriteAllBut(v, model, rnd, 8); // no segment is wholly dead: nothing to delete, only to compact
        GcPassReport plan = await(GcFixture.collector(store, v, EAGER, Clock.systemUTC()).runPass(true, l -> { }));
        assertFalse(plan.victims().isEmpty(), plan.summary());
        // Flip one bit in every data slot of every victim: whichever the pass reads first is corrupt. (The claim
        // segment written at open is unreferenced and may go first.)
        for (long victim : plan.victims()) {
            String key = SegmentKeys.segment(PREFIX, victim);
            ByteBuffer bytes = await(store.get(key, ByteRange.all())).data();
            byte[] b = new byte[bytes.remaining()];
            bytes.get(b);
            for (int at = 64; at + BS + 4 <= b.length - 160; at += BS + 4) {
                b[at + 7] ^= 1;
            }
            await(store.put(key, ByteBuffer.wrap(b)));
        }
        List<String> before = GcFixture.keys(store);
        long seqBefore = await(v.durableSeq());

        CompletableFuture<GcPassReport> pass = GcFixture.collector(store, v, EAGER, Clock.systemUTC()).runPass(false, l -> { });
        Throwable failure = null;
        try {
            pass.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            failure = Exceptions.unwrap(e);
        }
        assertTrue(failure instanceof CorruptionException, "fails with corruption: " + failure);
        assertTrue(failure.getMessage().contains(PREFIX + "seg/"), "names the segment: " + failure.getMessage());
        List<String> expected = new java.util.ArrayList<>(before);
        plan.deletedSegments().forEach(seq -> expected.remove(SegmentKeys.segment(PREFIX, seq))); // deletion ran first
        assertEquals(expected, GcFixture.keys(store), "no compaction window written, nothing else deleted");
        assertEquals(seqBefore, await(v.durableSeq()));
        assertFalse(plan.victims().isEmpty());
        v.abort();
    }

    @Test
    void aPassKeepsToItsRequestRate() {
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        GcFixture.overwriteAllBut(v, model, rnd, 8);
        FlakyObjectStore counting = new FlakyObjectStore(store);
        ManualScheduler time = new ManualScheduler();
        GarbageCollector gc = new GarbageCollector(counting, PREFIX, v, EAGER.withRateRequestsPerSecond(10), Clock.systemUTC(),
                time);
        CompletableFuture<GcPassReport> pass = gc.runPass(false, l -> { });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!pass.isDone() && System.nanoTime() < deadline) {
            if (!time.runNext()) { // the pass is busy with a request, not waiting for its turn
                Thread.onSpinWait();
            }
        }
        GcPassReport r = await(pass);
        assertFalse(r.victims().isEmpty(), r.summary());
        long gets = counting.calls(FlakyObjectStore.Op.GET);
        double seconds = time.nanoTime() / 1e9;
        assertTrue(seconds >= (gets - 20) / 10.0, // extent tables and checkpoint footers are not paced
                 gets + " GETs at 10 per second took " + seconds + " s of scheduler time");
        assertArrayEquals(model, GcFixture.readAll(v));
        v.abort();
    }
    @Test
    void compactionWaitsWhileClientWritesFillTheWriteBuffer() throws Exception {
        GcFixture.create(store);
        FlakyObjectStore flaky = new FlakyObjectStore(store);
        Volume v = await(Volume.open(flaky, PREFIX, "v", GcFixture.config().toBuilder().dirtyLimitBytes(512 << 10).build()));
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        GcFixture.overwriteAllBut(v, model, rnd, 8);
        // The pass stops at its first segment read (after its own flush); meanwhile segment uploads stall and
        // client writes pile up in the write buffer.
        FlakyObjectStore gcStore = new FlakyObjectStore(store);
        CompletableFuture<Void> reading = new CompletableFuture<>();
        CompletableFuture<Void> readGate = new CompletableFuture<>();
        gcStore.add(FaultRule.on(FlakyObjectStore.Op.GET, ".*/seg/.*", FaultRule.always(), new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(FlakyObjectStore.Op op, String key, java.util.function.Supplier<CompletableFuture<T>> proceed) {
                reading.complete(null);
                return readGate.thenCompose(x -> proceed.get());
            }
        }));
        CompletableFuture<String> waiting = new CompletableFuture<>();
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<GcPassReport> pass = GcFixture.collector(gcStore, v, EAGER, Clock.systemUTC()).runPass(false, line -> {
            lines.add(line);
            if (line.startsWith("compaction waits for client writes")) {
                waiting.complete(line);
            }
        });
        reading.get(60, TimeUnit.SECONDS);

        CompletableFuture<Void> gate = new CompletableFuture<>();
        flaky.add(FaultRule.on(EnumSet.of(FlakyObjectStore.Op.PUT, FlakyObjectStore.Op.CREATE), ".*/seg/.*",
                FaultRule.always(), FaultAction.holdUntil(gate)));
        List<CompletableFuture<Void>> writes = new java.util.ArrayList<>();
        for (int i = 0; i < 64 && v.writeBufferLoad() <= 0.5; i++) {
            int first = (i * 16) % BLOCKS;
            byte[] data = new byte[16 * BS];
            rnd.nextBytes(data);
            System.arraycopy(data, 0, model, first * BS, data.length);
            writes.add(v.write((long) first * BS, ByteBuffer.wrap(data)));
        }
        assertTrue(v.writeBufferLoad() > 0.5, "client writes fill the write buffer: " + v.writeBufferLoad());
        readGate.complete(null);

        String line;
        try {
            line = waiting.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no wait reported; progress: " + lines + " pass: " + pass, e);
        }
        assertTrue(line.matches("compaction waits for client writes: the write buffer is \\d+% full"), line);
        assertFalse(pass.isDone(), "the pass holds its moves back while the buffer is full");
        assertTrue(v.writeBufferLoad() > 0.5);

        gate.complete(null);
        GcPassReport r = pass.get(60, TimeUnit.SECONDS);
        assertTrue(r.movedBlocks() > 0, r.summary());
        for (CompletableFuture<Void> w : writes) {
            w.get(60, TimeUnit.SECONDS);
        }
        await(v.flush());
        assertArrayEquals(model, GcFixture.readAll(v), "client writes win over the moves that waited");
        v.abort();
        Volume reopened = GcFixture.open(store);
        assertArrayEquals(model, GcFixture.readAll(reopened));
        reopened.abort();
    }
}
