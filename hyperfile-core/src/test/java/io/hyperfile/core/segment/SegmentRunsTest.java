package io.hyperfile.core.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.encoding.SegmentEncoding;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link SegmentRuns}: the byte ranges of a built segment that hold only long runs' data, in both layouts, checked
 * against the builder's own records and an independent reading of the bytes.
 */
class SegmentRunsTest {
    private static final int BLOCK = 4096;
    private static final long SEQ = 9;
    private static final String KEY = SegmentKeys.segment("v/", SEQ);

    /** A segment of three one-block runs, a run of {@code longRun} blocks and one of 11, written in that order. */
    private static Built build(SegmentEncoding encoding, int longRun, long seed) {
        Random rnd = new Random(seed);
        List<Long> blocks = new ArrayList<>(List.of(5L, 7L, 9L));
        for (long b = 1000; b < 1000 + longRun; b++) {
            blocks.add(b);
        }
        for (long b = 5000; b < 5011; b++) {
            blocks.add(b);
        }
        SegmentBuilder builder = new SegmentBuilder(ByteBuffer.allocateDirect(SegmentBuilder.minimumCapacity(BLOCK, blocks.size())),
                BLOCK, blocks.size(), SEQ, new UUID(1, 2), UUID.randomUUID(), ByteBuffer.allocate(BLOCK).asReadOnlyBuffer(),
                encoding);
        List<byte[]> data = new ArrayList<>();
        for (long b : blocks) {
            byte[] block = new byte[BLOCK];
            if (rnd.nextBoolean()) {
                rnd.nextBytes(block);
            } else { // compressible, so that framed segments get compressed frames of varied lengths
                Arrays.fill(block, (byte) (1 + rnd.nextInt(200)));
                block[rnd.nextInt(BLOCK)] = 0;
            }
            data.add(block);
            builder.writeBlock(b, ByteBuffer.wrap(block), 0);
        }
        List<ExtentRecord> records = builder.seal();
        builder.rewindTrailer();
        ByteBuffer seg = builder.finish(records, (dataOffset, dataBlocks, nodeOffset, nodeLength, tableOffset, tableLength,
                headerCrc, blockCrcsCrc, nodeCrc, tableCrc) -> new SegmentFooter(SEQ, 1L << 30, dataOffset, dataBlocks,
                nodeOffset, nodeLength, tableOffset, tableLength, 0, 0, 0, 0, 0, 0, 1000, headerCrc, blockCrcsCrc, nodeCrc,
                tableCrc));
        byte[] bytes = new byte[seg.remaining()];
        seg.duplicate().get(bytes);
        return new Built(bytes, records, data);
    }

    private record Built(byte[] bytes, List<ExtentRecord> records, List<byte[]> data) {
        ExtentRecord longRun() {
            return records.stream().filter(r -> r.startBlock() == 1000).findFirst().orElseThrow();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {256, 300, 1000})
    void anUnencodedSegmentsLongRunIsItsSlotsExactly(int longRun) {
        Built s = build(SegmentEncoding.NONE, longRun, longRun);
        ExtentRecord run = s.longRun();
        assertEquals(longRun, run.blockCount());
        long[] ranges = SegmentRuns.longRunRanges(KEY, SEQ, ByteBuffer.wrap(s.bytes()), 1 << 20);
        long stride = BLOCK + 4;
        long from = SegmentHeader.BYTES + run.dataBlockOffset() * stride;
        assertArrayEquals(new long[] {from, from + longRun * stride}, ranges);
        // The range holds the run's blocks, each followed by its checksum, and nothing else.
        for (int i = 0; i < longRun; i++) {
            byte[] slot = Arrays.copyOfRange(s.bytes(), (int) (from + i * stride), (int) (from + i * stride + BLOCK));
            assertArrayEquals(s.data().get(3 + i), slot, "block " + (1000 + i));
        }
        // Below the cutoff: nothing; a cutoff of 11 blocks takes the 11-block run too, in slot order.
        assertArrayEquals(new long[0], SegmentRuns.longRunRanges(KEY, SEQ, ByteBuffer.wrap(s.bytes()), (longRun + 1L) * BLOCK));
        long[] both = SegmentRuns.longRunRanges(KEY, SEQ, ByteBuffer.wrap(s.bytes()), 11L * BLOCK);
        assertEquals(4, both.length);
        assertEquals(from + longRun * stride, both[2], "the 11-block run follows the long one");
        assertEquals(both[2] + 11 * stride, both[3]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lz4", "zstd:3"})
    void aFramedSegmentsLongRunIsTheFramesWhollyInsideIt(String compression) {
        for (int frameBytes : new int[] {4 << 10, 16 << 10, 64 << 10}) {
            SegmentEncoding e = SegmentEncoding.parseCompression(compression).withFrameBytes(frameBytes);
            int perFrame = frameBytes / BLOCK;
            Built s = build(e, 300, frameBytes);
            ExtentRecord run = s.longRun();
            long[] ranges = SegmentRuns.longRunRanges(KEY, SEQ, ByteBuffer.wrap(s.bytes()), 1 << 20);
            // Read the frame directory independently: slot count, then one entry (length in bits 0..27) per frame.
            ByteBuffer b = ByteBuffer.wrap(s.bytes()).order(ByteOrder.LITTLE_ENDIAN);
            int slots = b.getInt(SegmentHeader.BYTES);
            int frames = (slots + perFrame - 1) / perFrame;
            long[] offsets = new long[frames + 1];
            offsets[0] = SegmentHeader.BYTES + 4 + 4L * frames + 4;
            for (int k = 0; k < frames; k++) {
                offsets[k + 1] = offsets[k] + (b.getInt(SegmentHeader.BYTES + 4 + 4 * k) & ((1 << 28) - 1));
            }
            long first = run.dataBlockOffset();
            long end = first + run.blockCount();
            int firstFrame = (int) ((first + perFrame - 1) / perFrame);
            int endFrame = end == slots ? frames : (int) (end / perFrame);
            assertTrue(firstFrame < endFrame, "the run spans whole frames");
            assertArrayEquals(new long[] {offsets[firstFrame], offsets[endFrame]}, ranges,
                    compression + " in frames of " + frameBytes);
        }
    }

    @org.junit.jupiter.api.Test
    void aCutoffAsLargeAsALongTakesNoRunAndOneOfOneByteTakesEvery() {
        Built s = build(SegmentEncoding.NONE, 300, 2);
        assertArrayEquals(new long[0], SegmentRuns.longRunRanges(KEY, SEQ, ByteBuffer.wrap(s.bytes()), Long.MAX_VALUE));
        assertEquals(2 * 5, SegmentRuns.longRunRanges(KEY, SEQ, ByteBuffer.wrap(s.bytes()), 1).length,
                "five runs: three single blocks, the long one and the 11-block one");
    }

    @org.junit.jupiter.api.Test
    void aRecordNamingSlotsPastTheDataSectionIsAnError() {
        // A well-formed footer and table (checksums right) whose record and block count claim more slots than stored.
        SegmentBuilder builder = new SegmentBuilder(ByteBuffer.allocateDirect(SegmentBuilder.minimumCapacity(BLOCK, 4)),
                BLOCK, 4, SEQ, new UUID(1, 2), UUID.randomUUID(), ByteBuffer.allocate(BLOCK).asReadOnlyBuffer());
        byte[] block = new byte[BLOCK];
        new Random(5).nextBytes(block);
        for (long b = 0; b < 4; b++) {
            builder.writeBlock(b, ByteBuffer.wrap(block), 0);
        }
        builder.seal();
        builder.rewindTrailer();
        List<ExtentRecord> lying = List.of(new ExtentRecord(ExtentKind.DATA, 0, 1000, 0));
        ByteBuffer seg = builder.finish(lying, (dataOffset, dataBlocks, nodeOffset, nodeLength, tableOffset, tableLength,
                headerCrc, blockCrcsCrc, nodeCrc, tableCrc) -> new SegmentFooter(SEQ, 1L << 30, dataOffset, 1000,
                nodeOffset, nodeLength, tableOffset, tableLength, 0, 0, 0, 0, 0, 0, 1000, headerCrc, blockCrcsCrc, nodeCrc,
                tableCrc));
        CorruptionException e = assertThrows(CorruptionException.class,
                () -> SegmentRuns.longRunRanges(KEY, SEQ, seg, BLOCK));
        assertTrue(e.getMessage().contains("after the data section"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 30, -1, -200})
    void aDamagedHeaderFooterOrExtentTableIsAnError(int where) {
        Built s = build(SegmentEncoding.NONE, 300, 1);
        byte[] bad = s.bytes().clone();
        int at = where >= 0 ? where : bad.length + where;
        bad[at] ^= 0x10;
        assertThrows(CorruptionException.class, () -> SegmentRuns.longRunRanges(KEY, SEQ, ByteBuffer.wrap(bad), 1 << 20));
        assertThrows(CorruptionException.class, () -> SegmentRuns.longRunRanges(KEY, SEQ,
                ByteBuffer.wrap(s.bytes(), 0, s.bytes().length - 1), 1 << 20), "a truncated segment");
        assertThrows(CorruptionException.class, () -> SegmentRuns.longRunRanges(KEY, SEQ + 1, ByteBuffer.wrap(s.bytes()),
                1 << 20), "another seq's segment");
    }
}
