package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

/** fsck and snapshots. */
class VolumeCheckerTest {
    private final InMemoryObjectStore store = new InMemoryObjectStore();

    private void fill() {
        await(Volume.create(store, "v", new VolumeOptions(1 << 20, 512, 64 + 160 + 16 * 516, 8 + 4 * 43), Clock.systemUTC()));
        Volume v = await(Volume.open(store, "v", "v", VolumeConfig.DEFAULT));
        Random rnd = new Random(4);
        for (int i = 0; i < 60; i++) {
            byte[] b = new byte[512 * (1 + rnd.nextInt(4))];
            rnd.nextBytes(b);
            await(v.write(rnd.nextInt(1800) * 512L, ByteBuffer.wrap(b)));
            if (i % 7 == 0) {
                await(v.flush());
            }
        }
        await(v.close());
    }

    private VolumeChecker.Report fsck() {
        return await(VolumeChecker.check(store, "v", ForkJoinPool.commonPool(), n -> { }));
    }

    @Test
    void aHealthyVolumeChecksClean() {
        fill();
        VolumeChecker.Report r = fsck();
        assertTrue(r.isClean(), r.problems().toString());
        assertTrue(r.segmentsChecked() > 5);
        assertTrue(r.extentsChecked() > 20);
        assertEquals(r.segmentsChecked(), r.newestSeq());
    }

    @Test
    void aFlippedByteAnywhereIsReportedWithItsObject() {
        fill();
        String key = SegmentKeys.segment("v/", 3);
        byte[] seg = await(store.get(key, ByteRange.all())).toByteArray();
        for (int at : new int[] {5, 64 + 10, seg.length / 2, seg.length - 200, seg.length - 3}) {
            byte[] bad = seg.clone();
            bad[at] ^= 0x10;
            await(store.put(key, ByteBuffer.wrap(bad)));
            VolumeChecker.Report r = fsck();
            assertFalse(r.isClean(), "flip at " + at);
            assertTrue(r.problems().stream().anyMatch(s -> s.contains(key)), r.problems().toString());
        }
        await(store.put(key, ByteBuffer.wrap(seg)));
        assertTrue(fsck().isClean());
    }

    @Test
    void aMissingSegmentIsReported() {
        fill();
        await(store.delete(SegmentKeys.segment("v/", 2)));
        VolumeChecker.Report r = fsck();
        assertTrue(r.problems().stream().anyMatch(s -> s.contains("v/seg/00000000000000000002")), r.problems().toString());
    }

    @Test
    void aSnapshotIsAReadOnlyViewOfItsCheckpoint() {
        await(Volume.create(store, "v", VolumeOptions.ofSize(1 << 20), Clock.systemUTC()));
        Volume v = await(Volume.open(store, "v", "v", VolumeConfig.DEFAULT));
        await(v.write(0, ByteBuffer.wrap(new byte[] {1, 1, 1})));
        await(v.flush());
        long seq = await(v.durableSeq());
        await(Snapshots.create(store, "v/", "before", seq));
        await(v.write(0, ByteBuffer.wrap(new byte[] {2, 2})));
        await(v.flush());
        assertEquals(Map.of("before", seq), await(Snapshots.list(store, "v/")));

        Volume snap = await(Volume.openReadOnlyAt(store, "v", "v@before", VolumeConfig.DEFAULT, await(Snapshots.resolve(store, "v/", "before"))));
        ByteBuffer got = ByteBuffer.allocate(3);
        await(snap.read(0, got));
        assertArrayEquals(new byte[] {1, 1, 1}, got.array());
        assertTrue(snap.isSnapshotView());
        org.junit.jupiter.api.Assertions.assertThrows(ReadOnlyVolumeException.class,
                () -> await(snap.write(0, ByteBuffer.allocate(1))));
        await(snap.flush());
        got.clear();
        await(v.read(0, got));
        assertArrayEquals(new byte[] {2, 2, 1}, got.array());
        snap.abort();
        v.abort();
        await(Snapshots.delete(store, "v/", "before"));
        assertEquals(Map.of(), await(Snapshots.list(store, "v/")));
    }
}
