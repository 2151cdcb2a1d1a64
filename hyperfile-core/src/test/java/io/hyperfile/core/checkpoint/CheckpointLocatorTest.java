package io.hyperfile.core.checkpoint;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class CheckpointLocatorTest {
    private final InMemoryObjectStore store = new InMemoryObjectStore();

    private void segment(long seq) {
        await(store.put(SegmentKeys.segment("v/", seq), ByteBuffer.allocate(1)));
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
}
