package io.hyperfile.core.checkpoint;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.segment.SegmentBuilder;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class CheckpointLocatorTest {
    private static final int BLOCK = 4096;
    private static final UUID VOLUME = UUID.randomUUID();
    private static final UUID WRITER_A = UUID.randomUUID();
    private static final UUID WRITER_B = UUID.randomUUID();
    private final FlakyObjectStore store = new FlakyObjectStore(new InMemoryObjectStore());

    /** An empty segment {@code seq} of {@code writer} whose footer records {@code floor} (0: none). */
    static ByteBuffer segmentBytes(long seq, UUID writer, long floor) {
        SegmentBuilder b = new SegmentBuilder(ByteBuffer.allocate(SegmentBuilder.minimumCapacity(BLOCK, 1)), BLOCK, 1, seq,
                VOLUME, writer, ByteBuffer.allocate(BLOCK).asReadOnlyBuffer());
        return b.finish(b.seal(), (dataOffset, dataBlocks, nodeOffset, nodeLength, tableOffset, tableLength, headerCrc,
                blockCrcsCrc, nodeCrc, tableCrc) -> new SegmentFooter(seq, 1 << 20, dataOffset, dataBlocks, nodeOffset,
                nodeLength, tableOffset, tableLength, 0, 0, 0, 0, 0, 0, 0, headerCrc, blockCrcsCrc, nodeCrc, tableCrc, floor));
    }

    private void segment(long seq, UUID writer, long floor) {
        await(store.create(SegmentKeys.segment("v/", seq), segmentBytes(seq, writer, floor)));
    }

    private void segment(long seq) {
        segment(seq, WRITER_A, 0);
    }

    private CheckpointLocator.Located locate() {
        return await(CheckpointLocator.locate(store, "v/"));
    }

    @Test
    void theSegmentsDecideOverTheHint() {
        assertEquals(0L, await(CheckpointLocator.newestSegment(store, "v/")));
        segment(1);
        segment(2);
        segment(3);
        assertEquals(3L, await(CheckpointLocator.newestSegment(store, "v/")));
        await(CheckpointLocator.writeHint(store, "v/", 2));
        assertEquals(3L, await(CheckpointLocator.newestSegment(store, "v/")));
        await(CheckpointLocator.writeHint(store, "v/", 9));
        assertEquals(3L, await(CheckpointLocator.newestSegment(store, "v/")), "a hint ahead of the segments is ignored");
    }

    @Test
    void aHintWithNoSegmentAtAllIsCorruptionNotAnEmptyVolume() {
        await(CheckpointLocator.writeHint(store, "v/", 7));
        CorruptionException e = failure(CorruptionException.class, CheckpointLocator.newestSegment(store, "v/"));
        assertEquals("v/head", e.key());
        assertEquals("corrupt data in v/head at offset 0: the hint says segment 7 is durable but the volume has no segments:"
                + " they were deleted (a half-deleted volume?)", e.getMessage());
    }

    @Test
    void aSegmentThatLandedBeforeItsPredecessorIsNotTheCheckpoint() {
        segment(1);
        segment(2);
        segment(4, WRITER_A, 2); // 3 and 4 were in flight; 4 landed, 3 did not
        assertEquals(new CheckpointLocator.Located(2, 4), locate(), "4 is an orphan; a writer claims 5");
        segment(3, WRITER_A, 2);
        assertEquals(new CheckpointLocator.Located(4, 4), locate(), "once 3 is there, 4 is complete");
    }

    @Test
    void aPredecessorOfAnotherWriterDoesNotCompleteACheckpoint() {
        segment(1);
        segment(2);
        segment(3, WRITER_B, 0); // the claim of a new writer took 3
        segment(4, WRITER_A, 2); // the late PUT of the old writer, whose 4 pointed into its own 3
        assertEquals(new CheckpointLocator.Located(3, 4), locate());
    }

    @Test
    void aFooterWithoutAFloorIsCompleteOverGaps() {
        segment(1);
        segment(5); // 2..4 deleted by garbage collection long ago; the footer records no floor
        assertEquals(new CheckpointLocator.Located(5, 5), locate());
    }

    @Test
    void aHintAboveTheFloorListsFurtherBack() {
        segment(1);
        segment(2);
        segment(3, WRITER_A, 1);
        segment(4, WRITER_A, 1);
        await(CheckpointLocator.writeHint(store, "v/", 4)); // the listing from the hint starts at 4
        assertEquals(new CheckpointLocator.Located(4, 4), locate(), "the check of 4 needs 2 and 3");
        await(store.delegate().delete(SegmentKeys.segment("v/", 2)));
        assertEquals(new CheckpointLocator.Located(1, 4), locate(), "neither 4 nor 3 is complete without 2");
    }

    @Test
    void onlyACandidateWithAWindowReadsHeaders() {
        segment(1);
        segment(2);
        segment(3);
        long before = store.calls(Op.GET);
        locate();
        assertEquals(2, store.calls(Op.GET) - before, "the hint and one footer");
        segment(4, WRITER_A, 2);
        segment(5, WRITER_A, 2);
        before = store.calls(Op.GET);
        assertEquals(new CheckpointLocator.Located(5, 5), locate());
        assertEquals(1 + 1 + 3, store.calls(Op.GET) - before, "the hint, 5's footer, and the headers of 3, 4 and 5");
    }

    @Test
    void amongAListingTheNewestCompleteAtOrBelowABound() {
        segment(1);
        segment(2);
        segment(3, WRITER_A, 1);
        segment(5, WRITER_A, 3);
        TreeSet<Long> listed = new TreeSet<>(java.util.List.of(1L, 2L, 3L, 5L));
        assertEquals(3L, await(CheckpointLocator.newestCompleteAmong(store, "v/", listed, 5)));
        assertEquals(2L, await(CheckpointLocator.newestCompleteAmong(store, "v/", listed, 2)));
    }
}
