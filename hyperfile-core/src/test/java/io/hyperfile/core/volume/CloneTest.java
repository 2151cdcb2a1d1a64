package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.checkpoint.CloneLink;
import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.store.MeteredObjectStore;
import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.StoreOp;
import io.hyperfile.core.store.StoreStats;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Writable clones (docs/CLONES.md): shared reads, separate writes, restarts, crashes, links and refusals. */
class CloneTest {
    static final int BLOCK = 512;
    static final int SIZE = 256 << 10;

    final InMemoryObjectStore store = new InMemoryObjectStore();
    final VolumeCatalog catalog = new VolumeCatalog(store);

    static VolumeOptions options() {
        return new VolumeOptions(SIZE, BLOCK, VolumeModelTest.SEGMENT_TARGET, VolumeModelTest.NODE_BYTES);
    }

    Volume open(String name) {
        return await(catalog.open(name, VolumeModelTest.config()));
    }

    static byte[] readAll(Volume v) {
        ByteBuffer b = ByteBuffer.allocate((int) v.sizeBytes());
        await(v.read(0, b));
        return b.array();
    }

    /** Random writes of whole and partial blocks to both {@code v} and its model. */
    static void scribble(Volume v, byte[] model, Random rnd, int count) {
        for (int i = 0; i < count; i++) {
            int len = rnd.nextBoolean() ? BLOCK * (1 + rnd.nextInt(6)) : 1 + rnd.nextInt(3 * BLOCK);
            int off = rnd.nextBoolean() ? rnd.nextInt(SIZE / BLOCK - 8) * BLOCK : rnd.nextInt(SIZE - len);
            byte[] data = new byte[len];
            rnd.nextBytes(data);
            await(v.write(off, ByteBuffer.wrap(data)));
            System.arraycopy(data, 0, model, off, len);
        }
    }

    /** Creates volume "src" with random content, snapshot "s1" of it, and returns that content. */
    byte[] parentWithSnapshot(int writes) {
        await(catalog.create("src", options(), Clock.systemUTC()));
        Volume src = open("src");
        byte[] model = new byte[SIZE];
        scribble(src, model, new Random(1), writes);
        await(src.flush());
        await(Snapshots.create(store, "src/", "s1", await(src.durableSeq())));
        await(src.close());
        return model;
    }

    @Test
    void cloneReadsTheSnapshotAndEachSideSeesOnlyItsOwnWritesAcrossRestarts() {
        byte[] atSnapshot = parentWithSnapshot(200);
        await(catalog.createClone("src", "s1", "c", Clock.systemUTC()));
        byte[] parentModel = atSnapshot.clone();
        byte[] cloneModel = atSnapshot.clone();

        Volume clone = open("c");
        assertArrayEquals(atSnapshot, readAll(clone));
        Volume src = open("src");
        for (int round = 0; round < 3; round++) {
            scribble(clone, cloneModel, new Random(100 + round), 60);
            scribble(src, parentModel, new Random(200 + round), 60);
            assertArrayEquals(cloneModel, readAll(clone), "clone, round " + round);
            assertArrayEquals(parentModel, readAll(src), "parent, round " + round);
            await(clone.close());
            await(src.close());
            clone = open("c");
            src = open("src");
            assertArrayEquals(cloneModel, readAll(clone), "clone after restart " + round);
            assertArrayEquals(parentModel, readAll(src), "parent after restart " + round);
        }
        await(clone.close());
        await(src.close());
        VolumeChecker.Report check = await(VolumeChecker.check(store, "c/", Runnable::run, n -> { }));
        assertEquals(List.of(), check.problems());
        assertTrue(check.extentsChecked() > 0);
        Volume snapshot = await(Volume.openReadOnlyAt(store, "src/", "s", VolumeModelTest.config(),
                await(Snapshots.resolve(store, "src/", "s1"))));
        assertArrayEquals(atSnapshot, readAll(snapshot));
        await(snapshot.close());
    }

    @Test
    void aCrashedCloneReopensAtItsLastFlush() {
        byte[] atSnapshot = parentWithSnapshot(100);
        await(catalog.createClone("src", "s1", "c", Clock.systemUTC()));
        byte[] model = atSnapshot.clone();
        Volume clone = open("c");
        scribble(clone, model, new Random(5), 80);
        await(clone.flush());
        byte[] flushed = model.clone();
        scribble(clone, model, new Random(6), 3);
        clone.abort();
        Volume reopened = open("c");
        assertArrayEquals(flushed, readAll(reopened));
        await(reopened.close());
    }

    @Test
    void aCloneOfACloneReadsThroughBothLevels() {
        byte[] atSnapshot = parentWithSnapshot(100);
        await(catalog.createClone("src", "s1", "c", Clock.systemUTC()));
        byte[] model = atSnapshot.clone();
        Volume clone = open("c");
        scribble(clone, model, new Random(9), 50);
        await(clone.flush());
        await(Snapshots.create(store, "c/", "t", await(clone.durableSeq())));
        await(clone.close());
        await(catalog.createClone("c", "t", "cc", Clock.systemUTC()));
        Volume grand = open("cc");
        assertEquals("cc@" + await(Snapshots.resolve(store, "c/", "t")) + " <- c@" + await(Snapshots.resolve(store, "src/", "s1"))
                + " <- src", grand.lineage().toString());
        assertEquals(3, grand.lineage().levels().size());
        assertArrayEquals(model, readAll(grand));
        byte[] grandModel = model.clone();
        scribble(grand, grandModel, new Random(10), 40);
        await(grand.close());
        grand = open("cc");
        assertArrayEquals(grandModel, readAll(grand));
        await(grand.close());
        clone = open("c");
        assertArrayEquals(model, readAll(clone));
        await(clone.close());
    }

    @Test
    void aCloneWithoutWritesOpensAtItsParentsCheckpoint() {
        byte[] atSnapshot = parentWithSnapshot(50);
        await(catalog.createClone("src", "s1", "c", Clock.systemUTC()));
        long base = await(Snapshots.resolve(store, "src/", "s1"));
        assertEquals(base, await(catalog.newestCheckpoint("c")));
        assertEquals(base, await(catalog.info("c")).newestSeq());
        assertEquals(base, await(io.hyperfile.core.checkpoint.CheckpointRef.parse("c").resolve(store)));
        Volume view = await(catalog.openNewestReadOnly("c", VolumeModelTest.config()));
        assertArrayEquals(atSnapshot, readAll(view));
        await(view.close());
    }

    @Test
    void creatingACloneWritesTwoObjectsWhateverTheParentsSize() {
        parentWithSnapshot(400);
        StoreStats stats = new StoreStats();
        MeteredObjectStore metered = new MeteredObjectStore(store, stats, System::nanoTime);
        VolumeDescriptor d = await(new VolumeCatalog(metered).createClone("src", "s1", "c", Clock.systemUTC()));
        assertEquals(2, stats.requests(StoreOp.PUT) + stats.requests(StoreOp.CREATE));
        assertEquals(0, stats.requests(StoreOp.DELETE) + stats.requests(StoreOp.DELETE_ALL));
        assertTrue(d.isClone());
        assertEquals("src", d.origin().parentName());
    }

    @Test
    void creationIsRefusedForAnExistingNameOrAMissingSnapshotOrParent() {
        parentWithSnapshot(10);
        await(catalog.create("taken", options(), Clock.systemUTC()));
        failure(ObjectExistsException.class, catalog.createClone("src", "s1", "taken", Clock.systemUTC()));
        IllegalArgumentException noSnap = failure(IllegalArgumentException.class,
                catalog.createClone("src", "nope", "c", Clock.systemUTC()));
        assertEquals("no snapshot src@nope", noSnap.getMessage());
        IllegalArgumentException noParent = failure(IllegalArgumentException.class,
                catalog.createClone("ghost", "s1", "c", Clock.systemUTC()));
        assertEquals("no volume ghost", noParent.getMessage());
        assertEquals(List.of(), await(Clones.links(store, "src")));
    }

    @Test
    void linksTellWhichClonesHoldASnapshotAndAStaleLinkHoldsNothing() {
        parentWithSnapshot(10);
        long seq = await(Snapshots.resolve(store, "src/", "s1"));
        await(catalog.createClone("src", "s1", "c", Clock.systemUTC()));
        assertEquals(List.of("c"), await(Clones.holders(store, "src", "s1", seq)));
        assertEquals(List.of(), await(Clones.holders(store, "src", "other", seq + 1)));
        // A creation that crashed after its link: the link is stale, and a retry replaces it.
        await(store.create(CloneLink.key("src/", "half"), new CloneLink("s1", seq, java.util.UUID.randomUUID()).encode()));
        assertEquals(List.of("c"), await(Clones.holders(store, "src", "s1", seq)));
        await(catalog.createClone("src", "s1", "half", Clock.systemUTC()));
        assertEquals(List.of("c", "half"), await(Clones.holders(store, "src", "s1", seq)));

        IllegalStateException refused = failure(IllegalStateException.class, catalog.delete("src", n -> { }));
        assertEquals("volume src has clones that read its segments: c, half (delete them or 'hyperfile volume flatten'"
                + " them first)", refused.getMessage());
        await(catalog.delete("c", n -> { }));
        await(catalog.delete("half", n -> { }));
        assertEquals(List.of(), await(Clones.links(store, "src")));
        await(catalog.delete("src", n -> { }));
        assertEquals(0, store.objectCount());
    }
}
