package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.checkpoint.CloneLink;
import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.gc.SpaceAccounting;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** {@code volume flatten}: the clone stops reading its parent, at any crash point, and the parent can then go. */
class CloneFlattenTest {
    final InMemoryObjectStore memory = new InMemoryObjectStore();
    final VolumeCatalog catalog = new VolumeCatalog(memory);

    Volume open(String name) {
        return await(catalog.open(name, VolumeModelTest.config()));
    }

    /** src with content, snapshot s1, clone c written over part of it; returns c's content. */
    byte[] cloneWithWrites() {
        await(catalog.create("src", CloneTest.options(), Clock.systemUTC()));
        Volume src = open("src");
        byte[] model = new byte[CloneTest.SIZE];
        CloneTest.scribble(src, model, new Random(1), 150);
        await(src.writeZeroes(CloneTest.BLOCK * 300L, CloneTest.BLOCK * 40L));
        java.util.Arrays.fill(model, CloneTest.BLOCK * 300, CloneTest.BLOCK * 340, (byte) 0);
        await(src.flush());
        await(Snapshots.create(memory, "src/", "s1", await(src.durableSeq())));
        CloneTest.scribble(src, new byte[CloneTest.SIZE], new Random(2), 50);
        await(src.close());
        await(catalog.createClone("src", "s1", "c", Clock.systemUTC()));
        Volume c = open("c");
        CloneTest.scribble(c, model, new Random(3), 40);
        await(c.close());
        return model;
    }

    void deleteTheParent() {
        await(Snapshots.delete(memory, "src/", "s1"));
        await(catalog.delete("src", n -> { }));
        assertEquals(List.of(), await(memory.listAll("src/", null)), "nothing of the parent is left");
    }

    @Test
    void aFlattenedCloneOutlivesItsParent() {
        byte[] model = cloneWithWrites();
        CloneFlatten.Result r = await(CloneFlatten.flatten(memory, "c", VolumeModelTest.config(), l -> { }));
        assertTrue(r.blocksCopied() > 0);
        assertFalse(r.alreadyFlat());
        VolumeDescriptor d = VolumeDescriptor.decode("c/volume", await(memory.get("c/volume", ByteRange.all())).data());
        assertFalse(d.isClone());
        assertTrue(d.origin().flattened());
        assertEquals(List.of(), await(memory.listAll(CloneLink.directory("src/"), null)), "the link is gone");
        assertEquals(List.of(), await(Clones.holders(memory, "src", "s1", 0)));
        deleteTheParent();

        Volume c = open("c");
        assertFalse(c.lineage().isClone());
        assertArrayEquals(model, CloneTest.readAll(c));
        CloneTest.scribble(c, model, new Random(4), 30);
        await(c.close());
        c = open("c");
        assertArrayEquals(model, CloneTest.readAll(c));
        await(c.close());
        assertEquals(List.of(), await(SpaceAccounting.measure(memory, "c")).problems());
        assertEquals(List.of(), await(VolumeChecker.check(memory, "c/", Runnable::run, n -> { })).problems());
        assertTrue(await(CloneFlatten.flatten(memory, "c", VolumeModelTest.config(), l -> { })).alreadyFlat());
    }

    @Test
    void flattenRefusesAVolumeThatIsNoCloneAndACloneWithSnapshots() {
        cloneWithWrites();
        IllegalArgumentException notClone = failure(IllegalArgumentException.class,
                CloneFlatten.flatten(memory, "src", VolumeModelTest.config(), l -> { }));
        assertEquals("volume src is not a clone", notClone.getMessage());
        await(Snapshots.create(memory, "c/", "mine", await(catalog.newestCheckpoint("c"))));
        IllegalStateException snapped = failure(IllegalStateException.class,
                CloneFlatten.flatten(memory, "c", VolumeModelTest.config(), l -> { }));
        assertEquals("clone c has snapshots that read its parent's segments: mine (delete them first)", snapped.getMessage());
    }

    /** How many store requests a flatten of the fixture makes, run on a copy. */
    static long requestsOfAFlatten() {
        CloneFlattenTest copy = new CloneFlattenTest();
        copy.cloneWithWrites();
        FlakyObjectStore counting = new FlakyObjectStore(copy.memory);
        await(CloneFlatten.flatten(counting, "c", VolumeModelTest.config(), l -> { }));
        return counting.totalCalls();
    }

    /**
     * The flatten dies at its n-th store request (n at thirteen points spread over all of its requests, the last one included); the clone still
     * reads right, and a rerun finishes it.
     */
    @ParameterizedTest(name = "crash at {0}/12 of the requests")
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void aFlattenCrashedAnywhereLeavesAWorkingCloneOrVolumeAndARerunFinishes(int twelfths) {
        long n = Math.max(1, requestsOfAFlatten() * twelfths / 12);
        byte[] model = cloneWithWrites();
        FlakyObjectStore flaky = new FlakyObjectStore(memory);
        flaky.add(FaultRule.onStoreCall(FaultRule.after(n - 1), FaultAction.fail(
                () -> new StorageException(null, FailureCategory.UNKNOWN, "crashed"))));
        List<String> steps = new ArrayList<>();
        VolumeConfig quick = VolumeModelTest.config().toBuilder().flushDeadline(java.time.Duration.ofMillis(200)).build();
        RuntimeException crash = assertThrows(RuntimeException.class,
                () -> await(CloneFlatten.flatten(flaky, "c", quick, steps::add)));
        Volume c = open("c");
        assertArrayEquals(model, CloneTest.readAll(c), "after a crash at request " + n + " (" + steps + "): " + crash);
        await(c.close());
        await(CloneFlatten.flatten(memory, "c", VolumeModelTest.config(), l -> { }));
        deleteTheParent();
        c = open("c");
        assertArrayEquals(model, CloneTest.readAll(c), "rerun after a crash at request " + n);
        await(c.close());
    }

    @Test
    void theIndexOfAFlattenedCloneReadsNothingOfItsParent() {
        cloneWithWrites();
        await(CloneFlatten.flatten(memory, "c", VolumeModelTest.config(), l -> { }));
        long base = VolumeDescriptor.decode("c/volume", await(memory.get("c/volume", ByteRange.all())).data()).borrowedUpTo();
        // Every read the newest checkpoint needs stays under c/.
        List<String> keys = new ArrayList<>();
        io.hyperfile.core.store.ForwardingObjectStore spy = new io.hyperfile.core.store.ForwardingObjectStore(memory) {
            @Override
            public java.util.concurrent.CompletableFuture<io.hyperfile.core.store.ObjectData> get(String key, ByteRange range) {
                keys.add(key);
                return super.get(key, range);
            }
        };
        Volume c = await(new VolumeCatalog(spy).open("c", VolumeModelTest.config()));
        CloneTest.readAll(c);
        await(c.close());
        assertTrue(keys.stream().noneMatch(k -> k.startsWith("src/")), keys.toString());
        assertTrue(keys.stream().filter(k -> SegmentKeys.parseSegment("c/", k) > 0).allMatch(k -> SegmentKeys.parseSegment("c/", k) > base));
    }
}
