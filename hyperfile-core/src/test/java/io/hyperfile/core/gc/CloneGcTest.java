package io.hyperfile.core.gc;

import static io.hyperfile.core.gc.GcFixture.EAGER;
import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeOptions;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * A clone's garbage collection never touches its parent's segments, and the parent's keeps everything the clone
 * reads (docs/CLONES.md, "Garbage collection").
 */
class CloneGcTest {
    final InMemoryObjectStore store = new InMemoryObjectStore();
    final VolumeCatalog catalog = new VolumeCatalog(store);

    Volume open(String name) {
        return await(catalog.open(name, GcFixture.config()));
    }

    static GcPassReport pass(ObjectStore store, String name, Volume v) {
        return await(new GarbageCollector(store, name + "/", v, EAGER, Clock.systemUTC(), RetryScheduler.system())
                .runPass(false, l -> { }));
    }

    static TreeSet<Long> segments(ObjectStore store, String name) {
        TreeSet<Long> out = new TreeSet<>();
        await(store.listAll(name + "/seg/", null)).forEach(o -> out.add(Long.parseLong(o.key().substring(name.length() + 5))));
        return out;
    }

    @Test
    void collectingTheCloneAndTheParentKeepsBothWhole() {
        await(catalog.create("src", new VolumeOptions(GcFixture.SIZE, GcFixture.BS, GcFixture.SEGMENT_TARGET,
                GcFixture.NODE_BYTES), Clock.systemUTC()));
        Volume src = open("src");
        byte[] parentModel = new byte[GcFixture.SIZE];
        Random rnd = new Random(3);
        GcFixture.write(src, parentModel, rnd, 0, GcFixture.BLOCKS);
        GcFixture.overwriteAllBut(src, parentModel, rnd, 3);
        await(src.flush());
        long base = await(src.durableSeq());
        await(Snapshots.create(store, "src/", "s1", base));
        byte[] atSnapshot = parentModel.clone();
        await(catalog.createClone("src", "s1", "c", Clock.systemUTC()));

        Volume clone = open("c");
        byte[] cloneModel = atSnapshot.clone();
        long cloneWork = 0;
        for (int round = 0; round < 4; round++) {
            GcFixture.overwriteAllBut(clone, cloneModel, rnd, 2 + round);
            GcFixture.overwriteAllBut(src, parentModel, rnd, 2 + round);
            await(clone.flush());
            await(src.flush());
            TreeSet<Long> parentBefore = segments(store, "src");
            GcPassReport cloneReport = pass(store, "c", clone);
            assertEquals(List.of(), cloneReport.before().problems(), "round " + round);
            assertTrue(cloneReport.deletedSegments().stream().allMatch(s -> s > base), cloneReport.summary());
            assertTrue(cloneReport.victims().stream().allMatch(s -> s > base), cloneReport.summary());
            assertEquals(parentBefore, segments(store, "src"), "the clone's pass deleted none of the parent's segments");
            cloneWork += cloneReport.deletedSegments().size() + cloneReport.movedBlocks();
            GcPassReport parentReport = pass(store, "src", src);
            assertEquals(List.of(), parentReport.before().problems());
            assertArrayEquals(cloneModel, GcFixture.readAll(clone), "clone, round " + round);
            assertArrayEquals(parentModel, GcFixture.readAll(src), "parent, round " + round);
        }
        assertTrue(cloneWork > 0, "the clone's passes deleted or moved something");
        assertTrue(segments(store, "c").first() > base);
        await(clone.close());
        await(src.close());
        clone = open("c");
        assertArrayEquals(cloneModel, GcFixture.readAll(clone));
        await(clone.close());
        SpaceReport space = await(SpaceAccounting.measure(store, "c"));
        assertEquals(List.of(), space.problems());
        assertEquals(List.of(), space.otherObjects());
        assertEquals(List.of(), await(SpaceAccounting.measure(store, "src")).otherObjects(), "the clone link is metadata");
    }
}
