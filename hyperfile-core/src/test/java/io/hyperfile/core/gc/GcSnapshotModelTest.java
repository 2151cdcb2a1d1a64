package io.hyperfile.core.gc;

import static io.hyperfile.core.gc.GcFixture.BS;
import static io.hyperfile.core.gc.GcFixture.PREFIX;
import static io.hyperfile.core.gc.GcFixture.SIZE;
import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Snapshots and garbage collection at random: writes, zeroes, trims, snapshot creates and deletes, GC passes with
 * no grace period, reopen. After every pass each remaining snapshot reads exactly as the volume did when it was
 * taken, the volume reads as the model says, and the store holds every object a checkpoint reaches; in the end the
 * passes have deleted and moved data, and the live table agreed with every walk it was checked against.
 */
class GcSnapshotModelTest {
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4})
    void snapshotsReadAsTakenWhileGarbageCollectionRuns(long seed) {
        InMemoryObjectStore store = new InMemoryObjectStore();
        Random rnd = new Random(seed);
        GcFixture.create(store);
        Volume v = GcFixture.open(store);
        GarbageCollector gc = GcFixture.collector(store, v, GcFixture.EAGER, Clock.systemUTC());
        byte[] model = new byte[SIZE];
        Map<String, byte[]> snapshots = new LinkedHashMap<>();
        long deleted = 0;
        long moved = 0;
        int checks = 0;
        int planned = 0;
        long plannedWork = 0;
        for (int step = 0; step < 300; step++) {
            String where = "seed " + seed + " step " + step;
            int dice = rnd.nextInt(100);
            int block = rnd.nextInt(GcFixture.BLOCKS - 8);
            int count = 1 + rnd.nextInt(8);
            if (dice < 55) {
                byte[] data = new byte[count * BS];
                rnd.nextBytes(data);
                await(v.write((long) block * BS, ByteBuffer.wrap(data)));
                System.arraycopy(data, 0, model, block * BS, data.length);
            } else if (dice < 62) {
                await(v.writeZeroes((long) block * BS, (long) count * BS));
                Arrays.fill(model, block * BS, (block + count) * BS, (byte) 0);
            } else if (dice < 70) {
                await(v.trim((long) block * BS, (long) count * BS));
                Arrays.fill(model, block * BS, (block + count) * BS, (byte) 0);
            } else if (dice < 78) {
                await(v.flush());
            } else if (dice < 83) {
                await(v.flush());
                String name = "s" + step;
                await(Snapshots.create(store, PREFIX, name, await(v.durableSeq())));
                snapshots.put(name, model.clone());
            } else if (dice < 87 && !snapshots.isEmpty()) {
                List<String> names = List.copyOf(snapshots.keySet());
                String name = names.get(rnd.nextInt(names.size()));
                await(Snapshots.delete(store, PREFIX, name));
                snapshots.remove(name);
            } else if (dice < 97) {
                if (rnd.nextInt(3) == 0) {
                    gc.requestCheck(); // most passes plan from the live table; this one walks and checks it
                }
                GcPassReport r = await(gc.runPass(false, l -> { }));
                assertEquals(List.of(), r.tableDifferences(), where);
                checks += r.tableChecked() ? 1 : 0;
                planned += r.fromTable() ? 1 : 0;
                plannedWork += r.fromTable() ? r.deletedSegments().size() + r.movedBlocks() : 0;
                deleted += r.deletedSegments().size();
                moved += r.movedBlocks();
                assertTrue(GcFixture.measure(store).isComplete(), where + ": every reached object exists");
                for (Map.Entry<String, byte[]> s : snapshots.entrySet()) {
                    long seq = await(Snapshots.resolve(store, PREFIX, s.getKey()));
                    Volume view = await(Volume.openReadOnlyAt(store, PREFIX, "v@" + s.getKey(), GcFixture.config(), seq));
                    assertArrayEquals(s.getValue(), GcFixture.readAll(view), where + ": snapshot " + s.getKey());
                    view.abort();
                }
                assertArrayEquals(model, GcFixture.readAll(v), where);
            } else {
                await(v.flush());
                v.abort();
                v = GcFixture.open(store);
                gc = GcFixture.collector(store, v, GcFixture.EAGER, Clock.systemUTC());
                assertArrayEquals(model, GcFixture.readAll(v), where + ": after reopen");
            }
        }
        assertTrue(deleted > 0 && moved > 0 && checks > 0 && plannedWork > 0, "deleted " + deleted + " segments, moved "
                + moved + " blocks, table checked " + checks + " times, " + planned + " passes planned from it, which deleted and moved " + plannedWork);
        v.abort();
    }
}
