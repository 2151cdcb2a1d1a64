package io.hyperfile.core.gc;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.lease.Leases;
import io.hyperfile.core.lease.VolumeLease;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeChecker;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Space accounting on volumes built here, block by block: every figure is checked against the blocks the test wrote
 * and the sizes of the segments it produced. Blocks of 512 bytes, so a data slot is 516 bytes; index nodes of fanout
 * 4, so a few dozen extents make a tree of several levels.
 */
class SpaceAccountingTest {
    private static final int BS = 512;
    private static final long SLOT = BS + 4;
    /** Header + footer + one extent record: the overhead of a live segment from a window with one change. */
    private static final long OVERHEAD_ONE_RECORD = 64 + 160 + 25;

    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final Random rnd = new Random(10);
    private Volume v;

    @BeforeEach
    void open() {
        await(Volume.create(store, "v", new VolumeOptions(1024 * BS, BS, 1 << 20, 8 + 4 * 43), Clock.systemUTC()));
        v = await(Volume.open(store, "v", "v", VolumeConfig.DEFAULT));
        assertEquals(1, await(v.durableSeq()), "the open claims the log with segment 1");
    }

    @AfterEach
    void close() {
        v.abort();
    }

    /** Writes random (never all-zero) blocks {@code [first, first + count)} and flushes; returns the new segment. */
    private long writeAndFlush(long first, int count) {
        byte[] b = new byte[count * BS];
        rnd.nextBytes(b);
        b[0] = 1;
        await(v.write(first * BS, ByteBuffer.wrap(b)));
        await(v.flush());
        return await(v.durableSeq());
    }

    private SpaceReport measure() {
        SpaceReport r = await(SpaceAccounting.measure(store, "v"));
        assertTrue(r.isComplete(), r.problems().toString());
        assertEquals(r.storedBytes(), await(store.listAll("v/", null)).stream().mapToLong(ObjectInfo::size).sum());
        assertEquals(r.liveBytes(), metadataBytes() + r.segments().stream().mapToLong(SpaceReport.SegmentSpace::liveBytes).sum());
        return r;
    }

    private long metadataBytes() {
        return await(store.listAll("v/", null)).stream().filter(o -> !o.key().startsWith("v/seg/"))
                .mapToLong(ObjectInfo::size).sum();
    }

    private SpaceReport.SegmentSpace segment(SpaceReport r, long seq) {
        return r.segments().stream().filter(s -> s.seq() == seq).findFirst().orElseThrow();
    }

    private SegmentFooter footer(long seq) {
        return await(new SegmentReader(store, "v/", BS).footer(seq));
    }

    private long size(long seq) {
        return await(store.head(SegmentKeys.segment("v/", seq))).size();
    }

    @Test
    void overwrittenDataIsGarbageAndTheRestOfItsSegmentIsNot() {
        long first = writeAndFlush(0, 16);
        long second = writeAndFlush(0, 8);
        SpaceReport r = measure();

        SpaceReport.SegmentSpace a = segment(r, first);
        assertEquals(8, a.liveSlots(), "blocks 8..15 are still read from the first segment");
        assertEquals(8 * SLOT, a.liveDataBytes());
        assertEquals(0, a.liveNodeBytes(), "its index nodes were all replaced by the second flush");
        assertEquals(OVERHEAD_ONE_RECORD, a.overheadBytes());
        assertEquals(8 * SLOT + footer(first).nodeLength(), a.storedBytes() - a.liveBytes(),
                "garbage: the 8 overwritten blocks and the replaced nodes");
        assertEquals(size(first), a.storedBytes());

        SpaceReport.SegmentSpace b = segment(r, second);
        assertTrue(b.checkpoint());
        assertEquals(8, b.liveSlots());
        assertEquals(b.storedBytes(), b.liveBytes(), "the newest segment is live to its last byte");

        assertEquals(List.of(1L), r.unreferencedSegments(), "the empty claim segment is garbage");
        assertEquals(size(1) + size(first) - a.liveBytes(), r.garbageBytes());
        assertEquals(16L * BS, r.mappedBytes());
        assertEquals(1024L * BS, r.logicalSizeBytes());
        assertEquals(List.of(second), r.retainedCheckpoints());
    }

    @Test
    void overwritingEverythingMakesWholeSegmentsGarbage() {
        long first = writeAndFlush(0, 16);
        long second = writeAndFlush(0, 16);
        SpaceReport r = measure();
        assertEquals(List.of(1L, first), r.unreferencedSegments());
        assertEquals(0, segment(r, first).liveBytes());
        assertEquals(size(1) + size(first), r.garbageBytes());
        assertEquals(size(1) + size(first), r.unreferencedBytes());
        assertEquals(metadataBytes() + size(second), r.liveBytes());
        assertEquals((double) r.storedBytes() / r.liveBytes(), r.spaceAmplification());
        assertEquals(16 * SLOT, segment(r, first).storedBytes() - footer(first).nodeLength() - OVERHEAD_ONE_RECORD,
                "what the test wrote is exactly what became garbage, beside its nodes and overhead");
    }

    @Test
    void aSnapshotKeepsItsDataLiveUntilItIsDeleted() {
        long first = writeAndFlush(0, 16);
        await(Snapshots.create(store, "v/", "keep", first));
        long second = writeAndFlush(0, 16);
        SpaceReport r = measure();
        SpaceReport.SegmentSpace a = segment(r, first);
        assertTrue(a.checkpoint());
        assertEquals(16, a.liveSlots());
        assertEquals(a.storedBytes(), a.liveBytes(), "the snapshot reaches every slot and node of its segment");
        assertEquals(List.of(1L), r.unreferencedSegments());
        assertEquals(List.of(first, second), r.retainedCheckpoints());

        await(Snapshots.delete(store, "v/", "keep"));
        SpaceReport after = measure();
        assertEquals(List.of(1L, first), after.unreferencedSegments());
        assertEquals(r.garbageBytes() + size(first), after.garbageBytes(), "the snapshot record went with the snapshot");
    }

    @Test
    void aServingLeaseIsMetadataNotGarbageNorAnUnknownObject() {
        writeAndFlush(0, 4);
        SpaceReport without = measure();
        VolumeLease lease = new VolumeLease(UUID.randomUUID(), "host", 7, "127.0.0.1:10809", 1, 2, 30_000);
        await(Leases.write(store, "v/", lease));
        SpaceReport with = measure();
        long leaseBytes = lease.encode().remaining();
        assertEquals(without.liveBytes() + leaseBytes, with.liveBytes());
        assertEquals(without.garbageBytes(), with.garbageBytes());
        assertEquals(List.of(), with.otherObjects());
        VolumeChecker.Report fsck = await(VolumeChecker.check(store, "v", ForkJoinPool.commonPool(), n -> { }));
        assertTrue(fsck.isClean(), fsck.problems().toString());
    }

    @Test
    void trimmedDataIsGarbage() {
        long first = writeAndFlush(0, 16);
        await(v.trim(0, 16L * BS));
        await(v.flush());
        long second = await(v.durableSeq());
        SpaceReport r = measure();
        assertEquals(List.of(1L, first), r.unreferencedSegments());
        assertEquals(0, r.mappedBytes());
        SpaceReport.SegmentSpace b = segment(r, second);
        assertEquals(0, b.liveSlots());
        assertEquals(b.storedBytes(), b.liveBytes(), "the newest segment is its checkpoint: live whatever it holds");
    }

    @Test
    void subtreesSharedByCheckpointsAreCountedOnce() {
        byte[] b = new byte[BS];
        for (int i = 0; i < 60; i++) {
            rnd.nextBytes(b);
            b[0] = 1;
            await(v.write(2L * i * BS, ByteBuffer.wrap(b)));
        }
        await(v.flush());
        long first = await(v.durableSeq());
        assertTrue(footer(first).height() >= 3, "a tree of several levels: height " + footer(first).height());
        await(Snapshots.create(store, "v/", "s1", first));
        await(Snapshots.create(store, "v/", "s2", first));
        long second = writeAndFlush(0, 1);

        SpaceReport r = measure();
        SpaceReport.SegmentSpace a = segment(r, first);
        assertEquals(footer(first).nodeLength(), a.liveNodeBytes(), "each node of the first segment once, not once per root");
        assertEquals(60, a.liveSlots());
        assertEquals(a.storedBytes(), a.liveBytes());
        SpaceReport.SegmentSpace c = segment(r, second);
        assertEquals(footer(second).nodeLength(), c.liveNodeBytes());
        assertTrue(c.liveNodeBytes() < a.liveNodeBytes(), "the newest checkpoint rewrote one path and shares the rest");
        assertEquals(r.storedBytes() - size(1), r.liveBytes());
    }

    @Test
    void aSegmentMissingUnderASnapshotIsAProblemForFsckButGarbageIsNot() {
        long first = writeAndFlush(0, 16);
        writeAndFlush(0, 16);
        VolumeChecker.Report clean = await(VolumeChecker.check(store, "v", ForkJoinPool.commonPool(), n -> { }));
        assertTrue(clean.isClean(), clean.problems().toString());
        assertEquals(List.of(1L, first), clean.space().unreferencedSegments());

        await(Snapshots.create(store, "v/", "old", first));
        await(store.delete(SegmentKeys.segment("v/", first)));
        SpaceReport r = await(SpaceAccounting.measure(store, "v"));
        assertFalse(r.isComplete());
        assertTrue(r.problems().get(0).message().contains("snapshot old"), r.problems().toString());
        VolumeChecker.Report broken = await(VolumeChecker.check(store, "v", ForkJoinPool.commonPool(), n -> { }));
        assertTrue(broken.problems().stream().anyMatch(p -> p.contains(SegmentKeys.segment("v/", first))),
                broken.problems().toString());
    }
}
