package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hyperfile.core.index.Run;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Read defragmentation ({@link ReadDefrag}): reads of fragmented ranges have their blocks written again
 * contiguously, a write since the read wins over the move, and nothing moves where it must not.
 */
class ReadDefragTest {
    private static final int BLOCK = 4096;

    private final InMemoryObjectStore memory = new InMemoryObjectStore();
    private final FlakyObjectStore store = new FlakyObjectStore(memory);
    private final List<Volume> open = new ArrayList<>();

    @AfterEach
    void abortAll() {
        open.forEach(Volume::abort);
    }

    private Volume open(long defragBytes) {
        Volume v = await(Volume.open(store, "v", "t", VolumeConfig.builder().readDefragBytes(defragBytes).build()));
        open.add(v);
        return v;
    }

    /**
     * A volume whose first {@code blocks} blocks are stored one block per extent, alternating between two segments
     * (even blocks written and flushed first, then odd ones); returns their contents.
     */
    private byte[] fragmentedVolume(int blocks) {
        await(Volume.create(memory, "v", VolumeOptions.ofSize(16L << 20), Clock.systemUTC()));
        Volume w = open(0);
        byte[] data = new byte[blocks * BLOCK];
        new Random(blocks).nextBytes(data);
        for (int parity = 0; parity < 2; parity++) {
            for (int b = parity; b < blocks; b += 2) {
                await(w.write((long) b * BLOCK, ByteBuffer.wrap(data, b * BLOCK, BLOCK)));
            }
            await(w.flush());
        }
        await(w.close());
        return data;
    }

    private long segments() {
        return await(memory.listAll(SegmentKeys.segmentPrefix("v/"), null)).size();
    }

    private static byte[] read(Volume v, long offset, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        await(v.read(offset, b));
        return b.array();
    }

    private static List<Run> runs(Volume v, long firstBlock, long endBlock) {
        return await(v.mapping(new long[] {firstBlock}, new long[] {endBlock})).get(0);
    }

    @Test
    void aFragmentedRangeReadOnceIsStoredContiguously() {
        byte[] data = fragmentedVolume(128);
        Volume v = open(64 * BLOCK);
        assertEquals(64, runs(v, 0, 64).size(), "one extent per block before");

        assertArrayEquals(Arrays.copyOfRange(data, 0, 64 * BLOCK), read(v, 0, 64 * BLOCK));
        await(v.flush());
        assertEquals(1, runs(v, 0, 64).size(), "one extent after the read filled a batch: " + runs(v, 0, 64));
        assertEquals(64, runs(v, 64, 128).size(), "the range not read is as it was");
        assertEquals(64L * BLOCK, v.stats().readDefragBytes());

        long gets = store.calls(Op.GET);
        assertArrayEquals(Arrays.copyOfRange(data, 0, 64 * BLOCK), read(v, 0, 64 * BLOCK));
        assertEquals(1, store.calls(Op.GET) - gets, "the second read takes one GET");

        v.abort(); // the move was flushed: it survives a crash
        Volume again = open(64 * BLOCK);
        assertArrayEquals(data, read(again, 0, 128 * BLOCK));
        assertEquals(1, runs(again, 0, 64).size());
    }

    @Test
    void aWriteBetweenTheReadAndTheMoveWins() {
        byte[] data = fragmentedVolume(128);
        Volume v = open(128 * BLOCK);
        read(v, 0, 64 * BLOCK); // half a batch: copies of blocks 0..63 wait
        byte[] newer = new byte[BLOCK];
        Arrays.fill(newer, (byte) 7);
        await(v.write(5L * BLOCK, ByteBuffer.wrap(newer)));
        await(v.flush());
        read(v, 64 * BLOCK, 64 * BLOCK); // fills the batch: blocks 0..127 are moved, block 5 from its old copy
        await(v.flush());

        assertEquals(128L * BLOCK, v.stats().readDefragBytes());
        System.arraycopy(newer, 0, data, 5 * BLOCK, BLOCK);
        assertArrayEquals(data, read(v, 0, 128 * BLOCK), "block 5 keeps the write made after the read");
        assertEquals(3, runs(v, 0, 128).size(), "[0, 5) moved, 5 written, [6, 128) moved: " + runs(v, 0, 128));
        v.abort();
        assertArrayEquals(data, read(open(0), 0, 128 * BLOCK));
    }

    @Test
    void nothingMovesWhenOffUnalignedSmallOrReadOnly() {
        byte[] data = fragmentedVolume(64);
        long segments = segments();

        Volume off = open(0);
        assertArrayEquals(Arrays.copyOfRange(data, 0, 64 * BLOCK), read(off, 0, 64 * BLOCK));
        await(off.close());

        Volume v = open(64 * BLOCK);
        // Not block-aligned: the blocks at the edges are not wholly in the caller's buffer.
        assertArrayEquals(Arrays.copyOfRange(data, 100, 100 + 63 * BLOCK), read(v, 100, 63 * BLOCK));
        // Seven pieces: too few to be worth a move.
        assertArrayEquals(Arrays.copyOfRange(data, 0, 7 * BLOCK), read(v, 0, 7 * BLOCK));
        assertEquals(0, v.stats().readDefragBytes());
        long durable = await(v.durableSeq());
        await(v.close());

        Volume view = await(Volume.openReadOnlyAt(store, "v", "view",
                VolumeConfig.builder().readDefragBytes(64 * BLOCK).build(), durable));
        open.add(view);
        assertArrayEquals(Arrays.copyOfRange(data, 0, 64 * BLOCK), read(view, 0, 64 * BLOCK));
        assertEquals(0, view.stats().readDefragBytes(), "a read-only view moves nothing");

        // Each open for writing claims one empty segment; nothing else was written.
        assertEquals(segments + 2, segments());
    }

    @Test
    void aReadLargerThanTheBatchMovesWhatFits() {
        byte[] data = fragmentedVolume(64);
        Volume v = open(32 * BLOCK);
        assertArrayEquals(data, read(v, 0, 64 * BLOCK));
        await(v.flush());
        assertEquals(32L * BLOCK, v.stats().readDefragBytes());
        assertEquals(1, runs(v, 0, 32).size(), "the first 32 blocks fit the batch: " + runs(v, 0, 32));
        assertEquals(32, runs(v, 32, 64).size(), "the rest waits for another read");

        assertArrayEquals(data, read(v, 0, 64 * BLOCK));
        await(v.flush());
        assertEquals(64L * BLOCK, v.stats().readDefragBytes(), "the second read moves the small pieces only");
        assertEquals(2, runs(v, 0, 64).size(), "two moves, one extent each: " + runs(v, 0, 64));
        assertArrayEquals(data, read(v, 0, 64 * BLOCK));
    }
}
