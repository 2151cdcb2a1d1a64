package io.hyperfile.core.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.HyperfileException;
import io.hyperfile.core.index.NodePointer;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The stored form of the live table: a faithful round trip, and any damage refused rather than misread. */
class LiveTableObjectTest {
    private static final String KEY = "v/gc/live/00000000000000000042";

    private static LiveTable randomTable(Random rnd) {
        LiveTable t = new LiveTable(42, Instant.ofEpochMilli(1_764_000_000_123L));
        long seq = 0;
        for (int i = 0; i < 200; i++) {
            seq += 1 + rnd.nextInt(1000);
            LiveTable.Entry e = t.entry(seq);
            e.blocks = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(1 << 20);
            e.nodeBytes = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(1 << 16);
            e.changedAt = rnd.nextBoolean() ? 0 : seq + rnd.nextInt(100);
            e.extentTableLength = rnd.nextBoolean() ? -1 : rnd.nextInt(1 << 20);
        }
        return t;
    }

    private static void assertSame(LiveTable expected, LiveTable actual) {
        assertEquals(expected.seq(), actual.seq());
        assertEquals(expected.checkedAt(), actual.checkedAt());
        assertEquals(expected.entries().keySet(), actual.entries().keySet());
        for (Map.Entry<Long, LiveTable.Entry> e : expected.entries().entrySet()) {
            LiveTable.Entry a = actual.entries().get(e.getKey());
            String where = "segment " + e.getKey();
            assertEquals(e.getValue().blocks, a.blocks, where);
            assertEquals(e.getValue().nodeBytes, a.nodeBytes, where);
            assertEquals(e.getValue().changedAt, a.changedAt, where);
            assertEquals(e.getValue().extentTableLength, a.extentTableLength, where);
        }
    }

    @Test
    void aTableAndItsRootRoundTrip() {
        LiveTable t = randomTable(new Random(1));
        NodePointer root = new NodePointer(41, 123_456, 2_000);
        LiveTableObject.Loaded back = LiveTableObject.decode(KEY, LiveTableObject.encode(t, root));
        assertSame(t, back.table());
        assertEquals(root, back.root());

        LiveTable empty = new LiveTable(7, Instant.EPOCH);
        LiveTableObject.Loaded none = LiveTableObject.decode(KEY, LiveTableObject.encode(empty, null));
        assertNull(none.root(), "an empty index has no root");
        assertTrue(none.table().entries().isEmpty());
    }

    @Test
    void everyFlippedByteIsRefused() {
        byte[] good = LiveTableObject.encode(randomTable(new Random(2)), new NodePointer(3, 64, 100));
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= (byte) (1 << (i % 8));
            int at = i;
            HyperfileException e = assertThrows(HyperfileException.class, () -> LiveTableObject.decode(KEY, bad),
                    "byte " + at);
            assertTrue(e.getMessage().contains(KEY), "the error names the object: " + e.getMessage());
        }
    }

    @Test
    void aTruncatedObjectIsRefused() {
        byte[] good = LiveTableObject.encode(randomTable(new Random(3)), null);
        for (int len : new int[] {0, 10, 55, good.length - 1}) {
            byte[] cut = java.util.Arrays.copyOf(good, len);
            assertThrows(CorruptionException.class, () -> LiveTableObject.decode(KEY, cut), len + " bytes");
        }
        assertEquals("v/gc/live/00000000000000000042", LiveTableObject.key("v/", 42));
    }
}
