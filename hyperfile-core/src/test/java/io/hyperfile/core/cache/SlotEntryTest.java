package io.hyperfile.core.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hyperfile.core.format.Crc32c;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** {@link SlotEntry#of}: the piece checksums are those of the bytes, whatever kind of buffer holds them. */
class SlotEntryTest {

    @Test
    void heapReadOnlyAndDirectChunksGiveTheSameEntry() {
        byte[] bytes = new byte[10_000 + 4096 * 7];
        new Random(4).nextBytes(bytes);
        int at = 10_000;
        int length = 4096 * 6 + 100; // a short last piece
        SegmentIdentity identity = new SegmentIdentity(UUID.randomUUID(), 1 << 20);
        ByteBuffer heap = ByteBuffer.wrap(bytes).position(at).limit(at + length);
        ByteBuffer readOnly = heap.asReadOnlyBuffer();
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(bytes).position(at).limit(at + length);

        SlotEntry fromHeap = SlotEntry.of(3, heap, identity, 4096, 8);
        assertArrayEquals(fromHeap.encoded(), SlotEntry.of(3, readOnly, identity, 4096, 8).encoded());
        assertArrayEquals(fromHeap.encoded(), SlotEntry.of(3, direct, identity, 4096, 8).encoded());
        for (int i = 0; i < 7; i++) {
            int n = Math.min(4096, length - i * 4096);
            assertEquals(Crc32c.of(bytes, at + i * 4096, n), fromHeap.pieceCrc(i), "piece " + i);
        }
        assertEquals(at, readOnly.position(), "the chunk's position does not move");
        assertEquals(length, fromHeap.length());
    }
}
