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

import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ForwardingObjectStore;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import java.util.function.Supplier;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import java.time.Duration;
import java.time.Clock;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GarbageCollectorTest {
    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final Random rnd = new Random(42);
    private final byte[] model = new byte[SIZE];

    @Test
    void deletesSegmentsThatNoCheckpointReachesAndKeepsTheContent() {
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        TreeSet<Long> first = GcFixture.segments(store);
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        long storedBefore = GcFixture.measure(store).storedBytes();

        GcPassReport r = GcFixture.pass(store, v, EAGER.withCompactBelow(0));

        assertFalse(r.deletedSegments().isEmpty(), r.summary());
        assertTrue(first.containsAll(r.deletedSegments()), "only segments of the overwritten data go: " + r.summary());
        TreeSet<Long> left = GcFixture.segments(store);
        r.deletedSegments().forEach(s -> assertFalse(left.contains(s), "segment " + s + " was deleted"));
        SpaceReport after = GcFixture.measure(store);
        assertTrue(after.isComplete(), after.problems().toString());
        long tableBytes = await(store.listAll(LiveTableObject.directory(PREFIX), null)).stream()
                .mapToLong(io.hyperfile.core.store.ObjectInfo::size).sum();
        assertTrue(tableBytes > 0, "the pass stored its live table");
        assertEquals(storedBefore - r.deletedBytes() + tableBytes, after.storedBytes());
        assertArrayEquals(model, GcFixture.readAll(v));
        v.abort();
        Volume reopened = GcFixture.open(store);
        assertArrayEquals(model, GcFixture.readAll(reopened));
        reopened.abort();
    }

    @Test
    void compactionMovesLiveBlocksAndNodesOutAndTheNextPassDeletesTheVictims() {
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        GcFixture.overwriteAllBut(v, model, rnd, 8); // every old segment keeps one or two live blocks of ~15
        SpaceReport before = GcFixture.measure(store);

        GcPassReport compacted = GcFixture.pass(store, v, EAGER);
        assertFalse(compacted.victims().isEmpty(), compacted.summary());
        assertTrue(compacted.movedBlocks() >= BLOCKS / 8, compacted.summary());
        assertArrayEquals(model, GcFixture.readAll(v));

        GcPassReport deleted = GcFixture.pass(store, v, EAGER);
        assertTrue(deleted.deletedSegments().containsAll(compacted.victims()), "victims " + compacted.victims()
                + " deleted by the next pass: " + deleted.summary());
        SpaceReport after = GcFixture.measure(store);
        assertTrue(after.isComplete(), after.problems().toString());
        assertTrue(after.storedBytes() < before.storedBytes(), before.storedBytes() + " -> " + after.storedBytes());
        assertTrue(after.spaceAmplification() < 1.5, "stored/live after two passes: " + after.spaceAmplification());
        assertArrayEquals(model, GcFixture.readAll(v));
        v.abort();
        Volume reopened = GcFixture.open(store);
        assertArrayEquals(model, GcFixture.readAll(reopened));
        reopened.abort();
    }

    /**
     * Starts a pass whose collector reads through a store that holds the first data read after the walk (the first
     * block run it moves) until {@code gate} completes; returns once that read is held.
     */
    private CompletableFuture<GcPassReport> passHeldAtItsFirstMove(Volume v, CompletableFuture<Void> gate) {
        AtomicBoolean walked = new AtomicBoolean();
        CompletableFuture<Void> reached = new CompletableFuture<>();
        ForwardingObjectStore holding = new ForwardingObjectStore(store) {
            @Override
            public CompletableFuture<ObjectData> get(String key, ByteRange range) {
                int stride = BS + 4;
                if (walked.get() && range instanceof ByteRange.Span s && (s.offset() - 64) % stride == 0
                        && s.length() % stride == 0 && reached.complete(null)) {
                    return gate.thenCompose(x -> super.get(key, range));
                }
                return super.get(key, range);
            }
        };
        CompletableFuture<GcPassReport> pass = GcFixture.collector(holding, v, EAGER, java.time.Clock.systemUTC())
                .runPass(false, line -> walked.compareAndSet(false, line.startsWith("walked")));
        await(reached);
        return pass;
    }

    @Test
    void aClientWriteThatLandsWhileCompactionReadsTheOldCopyWins() {
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        GcFixture.overwriteAllBut(v, model, rnd, 8);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        CompletableFuture<GcPassReport> pass = passHeldAtItsFirstMove(v, gate);
        for (int b = 0; b < BLOCKS; b += 8) { // the blocks the pass is moving
            GcFixture.write(v, model, rnd, b, 1);
        }
        await(v.flush());
        gate.complete(null);
        GcPassReport r = await(pass);
        assertTrue(r.movedBlocks() > 0, r.summary());
        assertArrayEquals(model, GcFixture.readAll(v), "the client's writes win over the moved copies");
        GcFixture.pass(store, v, EAGER);
        assertArrayEquals(model, GcFixture.readAll(v));
        v.abort();
        Volume reopened = GcFixture.open(store);
        assertArrayEquals(model, GcFixture.readAll(reopened));
        assertTrue(GcFixture.measure(store).isComplete());
        reopened.abort();
    }

    @Test
    void aMovedCopyOnItsWayToTheStoreIsNeverReadInsteadOfANewerWrite() {
        FlakyObjectStore flaky = new FlakyObjectStore(store);
        GcFixture.create(store);
        Volume v = GcFixture.open(flaky);
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        GcFixture.overwriteAllBut(v, model, rnd, 8);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        CompletableFuture<GcPassReport> pass = passHeldAtItsFirstMove(v, gate);
        for (int b = 0; b < BLOCKS; b += 8) {
            GcFixture.write(v, model, rnd, b, 1);
        }
        await(v.flush()); // durable: the newer data is no longer in the write buffer
        CompletableFuture<Void> uploading = new CompletableFuture<>();
        CompletableFuture<Void> release = new CompletableFuture<>();
        flaky.add(FaultRule.on(FlakyObjectStore.Op.CREATE, ".*", FaultRule.first(1), new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(FlakyObjectStore.Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                uploading.complete(null);
                return release.thenCompose(x -> proceed.get());
            }
        }));
        gate.complete(null);
        await(uploading); // the compaction window is sealed and indexed, its upload held
        assertArrayEquals(model, GcFixture.readAll(v), "reads while the moved copies are on their way");
        release.complete(null);
        await(pass);
        assertArrayEquals(model, GcFixture.readAll(v));
        v.abort();
    }

    @Test
    void segmentsStayWhileACheckpointOfTheGracePeriodStillReachesThem() {
        GcFixture.MovableClock clock = new GcFixture.MovableClock();
        InMemoryObjectStore timed = new InMemoryObjectStore(clock, Runnable::run);
        GcFixture.create(timed);
        Volume v = GcFixture.open(timed);
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        GcConfig hour = EAGER.withGrace(Duration.ofHours(1)).withCompactBelow(0);

        GcPassReport young = await(GcFixture.collector(timed, v, hour, clock).runPass(false, l -> { }));
        assertTrue(young.deletedSegments().isEmpty(), young.summary());
        assertTrue(young.waitingSegments() > 0, young.summary());

        clock.advance(Duration.ofHours(2));
        TreeSet<Long> secondGeneration = GcFixture.segments(timed);
        GcFixture.write(v, model, rnd, 0, BLOCKS); // the second generation becomes garbage, but only just
        await(v.flush());
        GcPassReport old = await(GcFixture.collector(timed, v, hour, clock).runPass(false, l -> { }));
        assertFalse(old.deletedSegments().isEmpty(), old.summary());
        assertTrue(old.deletedSegments().stream().allMatch(s -> s < young.newestSeq()),
                "only the first generation is deleted: " + old.deletedSegments());
        assertTrue(GcFixture.segments(timed).containsAll(secondGeneration.headSet(young.newestSeq(), true).tailSet(
                young.newestSeq() - 2)), "the grace checkpoint's data stays");
        assertArrayEquals(model, GcFixture.readAll(v));
        assertTrue(GcFixture.measure(timed).isComplete());
        v.abort();
    }

    /**
     * The grace checkpoint holds back from compaction only the segments it reaches where the newest checkpoint does
     * not. Its leaves, copied since by writes next to older live data, list that data too: that does not hold it.
     */
    @ParameterizedTest(name = "walk={0}")
    @ValueSource(booleans = {true, false})
    void theGraceCheckpointDoesNotHoldDataTheNewestStillReaches(boolean walk) {
        GcFixture.MovableClock clock = new GcFixture.MovableClock();
        InMemoryObjectStore timed = new InMemoryObjectStore(clock, Runnable::run);
        GcFixture.create(timed);
        Volume v = GcFixture.open(timed);
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        TreeSet<Long> first = GcFixture.segments(timed);
        GcConfig hour = EAGER.withGrace(Duration.ofHours(1)).withCheckEvery(walk ? Duration.ZERO : Duration.ofDays(1));
        GarbageCollector gc = GcFixture.collector(timed, v, hour, clock);
        await(gc.runPass(false, l -> { })); // no garbage yet; starts the live table
        GcFixture.overwriteAllBut(v, model, rnd, 8); // the first generation keeps one block in 8
        clock.advance(Duration.ofHours(2)); // the checkpoint of the overwrite is now the grace checkpoint
        for (int b = 1; b < BLOCKS; b += 8) {
            GcFixture.write(v, model, rnd, b, 1); // copies every leaf, each listing first-generation blocks
        }
        await(v.flush());
        GcPassReport r = await(gc.runPass(false, l -> { }));
        assertEquals(!walk, r.fromTable(), r.summary());
        assertTrue(r.victims().stream().anyMatch(first::contains), "first-generation segments are compacted: " + r.summary());
        assertArrayEquals(model, GcFixture.readAll(v));
        v.abort();
        Volume reopened = GcFixture.open(timed);
        assertArrayEquals(model, GcFixture.readAll(reopened));
        reopened.abort();
    }

    /** A segment this writer uploads while a pass checks that it still holds the volume is its own, not a takeover. */
    @Test
    void aWriteThatLandsWhileThePassChecksOwnershipIsNotATakeover() {
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        GcFixture.write(v, model, rnd, 0, BLOCKS); // the first generation is dead
        await(v.flush());
        FlakyObjectStore flaky = new FlakyObjectStore(store);
        flaky.add(FaultRule.on(FlakyObjectStore.Op.LIST, ".*seg/", FaultRule.always(), new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(FlakyObjectStore.Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                byte[] data = new byte[BS];
                rnd.nextBytes(data);
                System.arraycopy(data, 0, model, 0, BS);
                return v.write(0, ByteBuffer.wrap(data)).thenCompose(x -> v.flush()).thenCompose(x -> proceed.get());
            }
        }));
        GcPassReport r = await(GcFixture.collector(flaky, v, EAGER, Clock.systemUTC()).runPass(false, l -> { }));
        assertFalse(r.deletedSegments().isEmpty(), r.summary());
        assertFalse(String.valueOf(r.skipped()).contains("taken over"), r.summary());
        assertArrayEquals(model, GcFixture.readAll(v));
        v.abort();
    }

    @Test
    void aSnapshotKeepsItsDataUntilItIsDeleted() {
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        byte[] atSnapshot = model.clone();
        long seq = await(v.durableSeq());
        await(Snapshots.create(store, PREFIX, "s", seq));
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());

        GcFixture.pass(store, v, EAGER);
        GcFixture.pass(store, v, EAGER);
        Volume snap = await(Volume.openReadOnlyAt(store, PREFIX, "v@s", GcFixture.config(), seq));
        assertArrayEquals(atSnapshot, GcFixture.readAll(snap));
        snap.abort();
        long heldStored = GcFixture.measure(store).storedBytes();

        await(Snapshots.delete(store, PREFIX, "s"));
        GcPassReport r = GcFixture.pass(store, v, EAGER);
        assertFalse(r.deletedSegments().isEmpty(), r.summary());
        assertTrue(GcFixture.measure(store).storedBytes() < heldStored);
        assertArrayEquals(model, GcFixture.readAll(v));
        v.abort();
    }

    @Test
    void aWriterThatWasTakenOverDeletesNothing() {
        GcFixture.create(store);
        Volume old = GcFixture.open(store);
        GcFixture.write(old, model, rnd, 0, BLOCKS);
        await(old.flush());
        GcFixture.write(old, model, rnd, 0, BLOCKS);
        await(old.flush());
        Volume owner = GcFixture.open(store); // claims the log
        List<String> before = GcFixture.keys(store);

        GcPassReport r = GcFixture.pass(store, old, EAGER.withCompactBelow(0));

        assertTrue(r.deletedSegments().isEmpty(), r.summary());
        assertTrue(r.skipped() != null && r.skipped().contains("taken over"), r.summary());
        assertEquals(before, GcFixture.keys(store));
        assertArrayEquals(model, GcFixture.readAll(owner));
        old.abort();
        owner.abort();
    }

    @Test
    void passesPlanFromTheLiveTableWhichFollowsWritesTrimsAndMovesAndAgreesWithAWalk() {
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        GarbageCollector gc = GcFixture.collector(store, v, EAGER, java.time.Clock.systemUTC());
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        GcPassReport first = await(gc.runPass(false, l -> { }));
        assertFalse(first.tableChecked(), "nothing to compare on the first pass");
        for (int round = 0; round < 4; round++) {
            GcFixture.overwriteAllBut(v, model, rnd, 3 + round);
            await(v.trim((long) (round * 20) * BS, 10L * BS));
            java.util.Arrays.fill(model, round * 20 * BS, (round * 20 + 10) * BS, (byte) 0);
            await(v.writeZeroes((long) (round * 20 + 50) * BS, 5L * BS));
            java.util.Arrays.fill(model, (round * 20 + 50) * BS, (round * 20 + 55) * BS, (byte) 0);
            GcPassReport planned = await(gc.runPass(false, l -> { }));
            assertTrue(planned.fromTable() && !planned.tableChecked(), "round " + round + ": " + planned.summary());
            assertArrayEquals(model, GcFixture.readAll(v), "round " + round + ", after a pass planned from the table");
            gc.requestCheck();
            GcPassReport r = await(gc.runPass(false, l -> { }));
            assertTrue(r.tableChecked() && !r.fromTable(), "round " + round + ": " + r.summary());
            assertEquals(List.of(), r.tableDifferences(), "round " + round);
            assertTrue(r.before().isComplete(), "nothing the checkpoints reach is missing: " + r.before().problems());
        }
        assertArrayEquals(model, GcFixture.readAll(v));
        v.abort();
    }

    @Test
    void aPassWhenNothingChangedWalksNothingAndAWriteOrASnapshotDeleteWakesItUp() {
        FlakyObjectStore counting = new FlakyObjectStore(store);
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        await(Snapshots.create(store, PREFIX, "s", await(v.durableSeq())));
        GcFixture.write(v, model, rnd, 0, BLOCKS); // the first generation is now the snapshot's alone
        await(v.flush());
        GarbageCollector gc = GcFixture.collector(counting, v, EAGER.withCompactBelow(0), java.time.Clock.systemUTC());
        GcPassReport worked = await(gc.runPass(false, l -> { }));
        assertTrue(worked.skipped() == null, worked.summary());
        GcPassReport settling = await(gc.runPass(false, l -> { })); // a pass that did work is followed by a walk
        assertTrue(settling.skipped() == null && settling.deletedSegments().isEmpty(), settling.summary());

        long gets = counting.calls(FlakyObjectStore.Op.GET);
        GcPassReport idle = await(gc.runPass(false, l -> { }));
        assertTrue(idle.skipped() != null && idle.skipped().startsWith("nothing changed"), idle.summary());
        assertEquals(gets, counting.calls(FlakyObjectStore.Op.GET), "an idle pass reads nothing");

        GcFixture.write(v, model, rnd, 5, 1);
        assertTrue(await(gc.runPass(false, l -> { })).skipped() == null, "a write wakes the collector");
        GcPassReport next = await(gc.runPass(false, l -> { }));
        for (int i = 0; i < 3 && next.skipped() == null; i++) { // until a pass finds nothing to do
            next = await(gc.runPass(false, l -> { }));
        }
        assertTrue(next.skipped() != null && next.skipped().startsWith("nothing changed"), next.summary());
        long stored = GcFixture.measure(store).storedBytes();
        await(Snapshots.delete(store, PREFIX, "s"));
        GcPassReport afterDelete = await(gc.runPass(false, l -> { }));
        assertFalse(afterDelete.deletedSegments().isEmpty(), "a snapshot delete wakes it: " + afterDelete.summary());
        assertTrue(GcFixture.measure(store).storedBytes() < stored);
        assertArrayEquals(model, GcFixture.readAll(v));
        v.abort();
    }

    @Test
    void aDryRunChangesNothing() {
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        GcFixture.overwriteAllBut(v, model, rnd, 8);
        List<String> before = GcFixture.keys(store);
        GcPassReport r = await(GcFixture.collector(store, v, EAGER, java.time.Clock.systemUTC()).runPass(true, l -> { }));
        assertTrue(r.dryRun());
        assertFalse(r.victims().isEmpty(), r.summary());
        assertEquals(before, GcFixture.keys(store));
        v.abort();
    }

    @Test
    void aWriteToEveryBlockBetweenPassesLeavesNothingToMove() {
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        GcPassReport r = GcFixture.pass(store, v, EAGER);
        assertEquals(0, r.movedBlocks(), "fully overwritten segments have nothing live: " + r.summary());
        assertArrayEquals(model, GcFixture.readAll(v));
        v.abort();
    }

    @Test
    void aReopenedWriterStartsFromTheStoredLiveTableAndItAgreesWithAWalk() {
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        GarbageCollector gc = GcFixture.collector(store, v, EAGER, java.time.Clock.systemUTC());
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        assertFalse(await(gc.runPass(false, l -> { })).fromTable(), "the first pass of a volume walks");
        GcFixture.overwriteAllBut(v, model, rnd, 4);
        assertTrue(await(gc.runPass(false, l -> { })).fromTable());
        await(v.close());

        for (int restart = 0; restart < 3; restart++) {
            v = GcFixture.open(store);
            gc = GcFixture.collector(store, v, EAGER, java.time.Clock.systemUTC());
            GcFixture.overwriteAllBut(v, model, rnd, 5 + restart);
            await(v.trim((long) (restart * 30) * BS, 12L * BS));
            java.util.Arrays.fill(model, restart * 30 * BS, (restart * 30 + 12) * BS, (byte) 0);
            List<String> steps = new java.util.ArrayList<>();
            GcPassReport loaded = await(gc.runPass(false, steps::add));
            assertTrue(loaded.fromTable(), "restart " + restart + ": " + steps + " " + loaded.summary());
            assertTrue(steps.get(0).startsWith("loaded the stored live table"), steps.toString());
            assertTrue(!loaded.deletedSegments().isEmpty() || !loaded.victims().isEmpty(), loaded.summary());
            assertArrayEquals(model, GcFixture.readAll(v), "restart " + restart);
            gc.requestCheck();
            GcPassReport checked = await(gc.runPass(false, l -> { }));
            assertTrue(checked.tableChecked(), checked.summary());
            assertEquals(List.of(), checked.tableDifferences(), "restart " + restart);
            if (restart % 2 == 0) {
                await(v.close());
            } else {
                await(v.flush());
                v.abort(); // a crash: the table stored by the last pass is what the next writer finds
            }
        }
        SpaceReport space = GcFixture.measure(store);
        assertTrue(space.isComplete(), space.problems().toString());
        assertEquals(List.of(), space.otherObjects(), "the table objects are the volume's own metadata");
        assertEquals(1, await(store.listAll(LiveTableObject.directory(PREFIX), null)).size(), "one table is kept");
        Volume reopened = GcFixture.open(store);
        assertArrayEquals(model, GcFixture.readAll(reopened));
        reopened.abort();
    }

    @Test
    void aDamagedOrUnreadableStoredTableOnlyMakesThePassWalk() {
        FlakyObjectStore flaky = new FlakyObjectStore(store);
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        GcFixture.write(v, model, rnd, 0, BLOCKS);
        await(v.flush());
        GcFixture.pass(store, v, EAGER);
        await(v.close());
        String key = await(store.listAll(LiveTableObject.directory(PREFIX), null)).get(0).key();
        byte[] bytes = await(store.get(key, ByteRange.all())).toByteArray();
        bytes[bytes.length / 2] ^= 1;
        await(store.put(key, java.nio.ByteBuffer.wrap(bytes)));

        v = GcFixture.open(store);
        GcFixture.overwriteAllBut(v, model, rnd, 3);
        GcPassReport r = await(GcFixture.collector(store, v, EAGER, java.time.Clock.systemUTC()).runPass(false, l -> { }));
        assertFalse(r.fromTable(), r.summary());
        assertFalse(r.deletedSegments().isEmpty(), "the walk does the work: " + r.summary());
        await(v.close());

        flaky.add(FaultRule.on(java.util.EnumSet.of(FlakyObjectStore.Op.GET, FlakyObjectStore.Op.LIST),
                java.util.regex.Pattern.quote(LiveTableObject.directory(PREFIX)) + ".*", FaultRule.always(), FaultAction.fail(() -> new io.hyperfile.core.store.StorageException(null,
                        io.hyperfile.core.store.FailureCategory.UNKNOWN, "no access"))));
        v = GcFixture.open(flaky);
        GcFixture.overwriteAllBut(v, model, rnd, 3);
        r = await(GcFixture.collector(flaky, v, EAGER, java.time.Clock.systemUTC()).runPass(false, l -> { }));
        assertFalse(r.fromTable(), r.summary());
        assertFalse(r.deletedSegments().isEmpty(), "the walk does the work: " + r.summary());
        assertArrayEquals(model, GcFixture.readAll(v));
        v.abort();
    }
}
