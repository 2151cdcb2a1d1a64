package io.hyperfile.core.gc;

import static io.hyperfile.core.gc.GcFixture.BLOCKS;
import static io.hyperfile.core.gc.GcFixture.EAGER;
import static io.hyperfile.core.gc.GcFixture.PREFIX;
import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeRollback;
import java.time.Clock;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Rollback writes a checkpoint whose root is an older one's: the volume reads as the target, the previous head stays
 * readable and undoes it, and garbage collection afterwards (a walk, the live tables being invalidated) deletes
 * nothing the new head or a snapshot needs.
 */
class VolumeRollbackTest {
    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final Random rnd = new Random(11);

    @Test
    void rollbackToASnapshotReadsItsContentUndoesAndSurvivesGarbageCollection() {
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        byte[] a = new byte[GcFixture.SIZE];
        GcFixture.write(v, a, rnd, 0, BLOCKS);
        await(v.flush());
        long snapSeq = await(v.durableSeq());
        await(Snapshots.create(store, PREFIX, "a", snapSeq));
        byte[] b = a.clone();
        GcFixture.overwriteAllBut(v, b, rnd, 3);
        GcFixture.pass(store, v, EAGER); // deletes and compacts what neither the head nor snapshot a needs; stores a live table
        GcFixture.overwriteAllBut(v, b, rnd, 5);
        GcFixture.pass(store, v, EAGER);
        assertFalse(await(store.listAll(LiveTableObject.directory(PREFIX), null)).isEmpty(), "a stored live table");
        long head = await(v.durableSeq());
        await(v.close());

        VolumeRollback.Result r = await(VolumeRollback.rollback(store, PREFIX, snapSeq, Clock.systemUTC()));
        assertEquals(head, r.previousSeq());
        assertEquals(head + 1, r.newSeq());
        assertTrue(await(store.listAll(LiveTableObject.directory(PREFIX), null)).isEmpty(), "live tables invalidated");

        v = GcFixture.open(store);
        assertArrayEquals(a, GcFixture.readAll(v), "the volume reads as snapshot a");
        GcPassReport walk = GcFixture.pass(store, v, EAGER);
        assertFalse(walk.fromTable(), "the first pass after a rollback walks: " + walk.summary());
        assertArrayEquals(a, GcFixture.readAll(v), "after a pass: " + walk.summary());
        byte[] c = a.clone();
        GcFixture.overwriteAllBut(v, c, rnd, 2); // new writes on top of the rolled-back state
        GcPassReport next = GcFixture.pass(store, v, EAGER);
        GcFixture.pass(store, v, EAGER);
        assertArrayEquals(c, GcFixture.readAll(v), next.summary());
        SpaceReport space = GcFixture.measure(store);
        assertTrue(space.isComplete(), space.problems().toString());
        await(v.close());
        v = GcFixture.open(store);
        assertArrayEquals(c, GcFixture.readAll(v), "after reopening");
        await(v.close());
        Volume snap = await(Volume.openReadOnlyAt(store, PREFIX, "v@a", GcFixture.config(), snapSeq));
        assertArrayEquals(a, GcFixture.readAll(snap), "the snapshot is intact");
        await(snap.close());

        // The head before the rollback is gone now (grace 0, nothing pinned it): undoing is refused, nothing written.
        long before = GcFixture.segments(store).last();
        assertThrows(ObjectNotFoundException.class, () -> await(VolumeRollback.rollback(store, PREFIX, head, Clock.systemUTC())));
        assertEquals(before, GcFixture.segments(store).last());
    }

    @Test
    void undoRollsBackToThePreviousHeadWhileItIsRetained() {
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        byte[] a = new byte[GcFixture.SIZE];
        GcFixture.write(v, a, rnd, 0, BLOCKS);
        await(v.flush());
        long first = await(v.durableSeq());
        byte[] b = a.clone();
        GcFixture.overwriteAllBut(v, b, rnd, 4);
        long head = await(v.durableSeq());
        await(v.close());

        await(VolumeRollback.rollback(store, PREFIX, first, Clock.systemUTC()));
        VolumeRollback.Result undo = await(VolumeRollback.rollback(store, PREFIX, head, Clock.systemUTC()));
        assertEquals(head, undo.targetSeq());
        v = GcFixture.open(store);
        assertArrayEquals(b, GcFixture.readAll(v), "undone");
        GcFixture.pass(store, v, GcConfig.DEFAULT.withGrace(java.time.Duration.ZERO).withCompactBelow(0.9)
                .withMinGarbageRatio(0).withRateBytesPerSecond(0).withRateRequestsPerSecond(0));
        assertArrayEquals(b, GcFixture.readAll(v));
        long newest = await(v.durableSeq());
        await(v.close());

        IllegalArgumentException same = assertThrows(IllegalArgumentException.class,
                () -> await(VolumeRollback.rollback(store, PREFIX, newest, Clock.systemUTC())));
        assertEquals("checkpoint " + newest + " is the newest already: nothing to roll back", same.getMessage());
        await(VolumeRollback.rollback(store, PREFIX, 0, Clock.systemUTC()));
        v = GcFixture.open(store);
        assertArrayEquals(new byte[GcFixture.SIZE], GcFixture.readAll(v), "rolled back to the empty volume");
        await(v.close());
    }

    @Test
    void aWriterThatStoredTheNextSegmentMeanwhileMakesTheRollbackFail() {
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        byte[] a = new byte[GcFixture.SIZE];
        GcFixture.write(v, a, rnd, 0, 16);
        await(v.flush());
        long first = await(v.durableSeq());
        GcFixture.write(v, a, rnd, 16, 16);
        await(v.flush());
        long head = await(v.durableSeq());
        await(v.close());
        String next = io.hyperfile.core.segment.SegmentKeys.segment(PREFIX, head + 1);
        java.nio.ByteBuffer other = java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3});
        // Another writer stores segment head + 1 between the rollback's listing and its create.
        io.hyperfile.core.store.ObjectStore racing = new io.hyperfile.core.store.ForwardingObjectStore(store) {
            @Override
            public java.util.concurrent.CompletableFuture<Void> create(String key, java.nio.ByteBuffer data) {
                return key.equals(next) ? delegate.create(key, other.duplicate()).thenCompose(x -> delegate.create(key, data))
                        : delegate.create(key, data);
            }
        };
        assertThrows(ObjectExistsException.class, () -> await(VolumeRollback.rollback(racing, PREFIX, first, Clock.systemUTC())));
        assertEquals(3, await(store.get(next, io.hyperfile.core.store.ByteRange.all())).data().remaining(), "the other writer's segment stays");
    }
}
