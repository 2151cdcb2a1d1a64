package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.checkpoint.CheckpointLocator;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Flip any byte of a stored segment: whatever reads the affected bytes fails with a checksum error naming the
 * object and offset; no read ever returns wrong data.
 */
class VolumeCorruptionTest {
    private static final int BLOCK = 512;
    private static final int SIZE = 64 << 10;

    @Test
    void everyFlippedByteOfASegmentIsCaught() {
        InMemoryObjectStore clean = new InMemoryObjectStore();
        await(Volume.create(clean, "v", new VolumeOptions(SIZE, BLOCK, 64 << 10, VolumeModelTest.NODE_BYTES), Clock.systemUTC()));
        Volume v = await(Volume.open(clean, "v", "c", VolumeModelTest.config()));
        byte[] expected = new byte[SIZE];
        Random rnd = new Random(11);
        for (int i = 0; i < 12; i++) {
            int off = rnd.nextInt(SIZE / BLOCK - 4) * BLOCK;
            byte[] data = new byte[BLOCK * (1 + rnd.nextInt(3))];
            rnd.nextBytes(data);
            await(v.write(off, ByteBuffer.wrap(data)));
            System.arraycopy(data, 0, expected, off, data.length);
        }
        await(v.writeZeroes(40 * BLOCK, 8 * BLOCK));
        java.util.Arrays.fill(expected, 40 * BLOCK, 48 * BLOCK, (byte) 0);
        await(v.close());
        // The data went into the newest segment (the one before it is the empty claim written at open).
        long seq = await(CheckpointLocator.newestSegment(clean, "v/"));
        String key = SegmentKeys.segment("v/", seq);
        byte[] segment = await(clean.get(key, ByteRange.all())).toByteArray();
        byte[] descriptor = await(clean.get(SegmentKeys.descriptor("v/"), ByteRange.all())).toByteArray();

        // A damaged newest segment is read again for open.retry (it may still be being written); not here.
        VolumeConfig noOpenRetry = VolumeModelTest.config().toBuilder().openRetry(java.time.Duration.ZERO).build();
        int caught = 0;
        for (int i = 0; i < segment.length; i++) {
            byte[] bad = segment.clone();
            bad[i] ^= (byte) (1 << (i % 8));
            InMemoryObjectStore store = new InMemoryObjectStore();
            await(store.put(SegmentKeys.descriptor("v/"), ByteBuffer.wrap(descriptor)));
            await(store.put(key, ByteBuffer.wrap(bad)));
            boolean detected = false;
            try {
                Volume opened = await(Volume.open(store, "v", "c", noOpenRetry));
                ByteBuffer all = ByteBuffer.allocate(SIZE);
                try {
                    await(opened.read(0, all));
                    assertArrayEquals(expected, all.array(), "flipped byte " + i + " went unnoticed and changed the data");
                } catch (CorruptionException e) {
                    detected = true;
                    assertTrue(e.getMessage().contains(key), e.getMessage());
                } finally {
                    opened.abort();
                }
                if (!detected) {
                    // Not read by a volume read: the extent table, or a dead data slot (a block overwritten by a
                    // later zero in the same window). fsck reads those: the table and every block.
                    SegmentReader reader = new SegmentReader(store, "v/", BLOCK);
                    var footer = await(reader.footer(seq));
                    await(reader.extentTable(seq, footer));
                    await(reader.readBlocks(seq, 0, (int) footer.dataBlockCount()));
                    fail("flipped byte " + i + " of " + segment.length + " was not detected by any reader");
                }
            } catch (CorruptionException e) {
                detected = true;
                assertTrue(e.getMessage().contains(key), e.getMessage());
            }
            if (detected) {
                caught++;
            }
        }
        assertEquals(segment.length, caught);
    }
}
