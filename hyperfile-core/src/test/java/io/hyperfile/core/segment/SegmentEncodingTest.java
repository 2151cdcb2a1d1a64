package io.hyperfile.core.segment;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.encoding.Compression;
import io.hyperfile.core.encoding.SegmentEncoding;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Encoded segments (format version 3): what the builder packs, the reader and the verifier read back exactly, in
 * any sub-range; raw frames for incompressible data; and every flipped byte of the data section is an error, never
 * other data.
 */
class SegmentEncodingTest {
    private static final UUID VOLUME = new UUID(7, 8);
    private static final String PREFIX = "v/";

    /** Blocks {@code 0..count)}: random where {@code random[i]}, else a repeated pattern. */
    private static byte[] content(int blockSize, int count, Random rnd, boolean allRandom) {
        byte[] data = new byte[blockSize * count];
        for (int b = 0; b < count; b++) {
            if (allRandom || rnd.nextInt(3) == 0) {
                for (int i = 0; i < blockSize; i++) {
                    data[b * blockSize + i] = (byte) rnd.nextInt();
                }
            } else {
                byte[] pattern = new byte[1 + rnd.nextInt(100)];
                rnd.nextBytes(pattern);
                for (int i = 0; i < blockSize; i++) {
                    data[b * blockSize + i] = rnd.nextInt(40) == 0 ? (byte) rnd.nextInt() : pattern[i % pattern.length];
                }
            }
        }
        return data;
    }

    /** A finished segment of {@code data} (one block per slot, in order) at {@code seq}. */
    static ByteBuffer segment(SegmentEncoding encoding, int blockSize, long seq, byte[] data) {
        int count = data.length / blockSize;
        SegmentBuilder b = new SegmentBuilder(ByteBuffer.allocateDirect(SegmentBuilder.minimumCapacity(blockSize, count)),
                blockSize, count, seq, VOLUME, UUID.randomUUID(), ByteBuffer.allocate(blockSize).asReadOnlyBuffer(), encoding);
        for (int i = 0; i < count; i++) {
            b.writeBlock(i, ByteBuffer.wrap(data, i * blockSize, blockSize), 0);
        }
        List<ExtentRecord> records = b.seal();
        b.rewindTrailer();
        return b.finish(records, (dataOffset, dataBlocks, nodeOffset, nodeLength, tableOffset, tableLength, headerCrc,
                blockCrcsCrc, nodeCrc, tableCrc) -> new SegmentFooter(seq, 1L << 30, dataOffset, dataBlocks, nodeOffset,
                nodeLength, tableOffset, tableLength, 0, 0, 0, 0, 0, 0, 1000, headerCrc, blockCrcsCrc, nodeCrc, tableCrc));
    }

    private static byte[] read(SegmentReader reader, long seq, long first, int count, int blockSize) {
        ByteBuffer out = ByteBuffer.allocate(count * blockSize);
        await(reader.readVerified(seq, first, count)).copyTo(0, out, 0, count * blockSize);
        ByteBuffer lent = ByteBuffer.allocate(count * blockSize);
        await(reader.readVerified(seq, first, count, blocks -> {
            blocks.copyTo(0, lent, 0, count * blockSize);
            return null;
        }));
        assertArrayEquals(out.array(), lent.array(), "the lent blocks differ from the fetched ones");
        return out.array();
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "lz4", "zstd:1", "zstd:19"})
    void everySubRangeReadsBackWhatWasWritten(String encoding) {
        SegmentEncoding parsed = SegmentEncoding.parseCompression(encoding);
        SegmentEncoding e = parsed.isEncoded() ? parsed.withFrameBytes(64 << 10) : parsed;
        Random rnd = new Random(encoding.hashCode());
        int blockSize = 4096;
        int count = 100; // 16 blocks per 64 KiB frame: 7 frames, the last one short
        byte[] data = content(blockSize, count, rnd, false);
        InMemoryObjectStore store = new InMemoryObjectStore();
        ByteBuffer seg = segment(e, blockSize, 5, data);
        await(store.create(SegmentKeys.segment(PREFIX, 5), seg.duplicate()));
        SegmentReader reader = new SegmentReader(store, PREFIX, blockSize, e);
        assertArrayEquals(data, read(reader, 5, 0, count, blockSize));
        for (int i = 0; i < 200; i++) {
            int first = rnd.nextInt(count);
            int n = 1 + rnd.nextInt(count - first);
            byte[] expected = java.util.Arrays.copyOfRange(data, first * blockSize, (first + n) * blockSize);
            assertArrayEquals(expected, read(reader, 5, first, n, blockSize), "blocks " + first + "+" + n);
        }
        assertEquals(List.of(), SegmentVerifier.verify("k", 5, seg, VOLUME, blockSize).problems());
        if (e.isEncoded()) {
            FrameDirectory dir = await(reader.directory(5));
            assertEquals(7, dir.frameCount());
            long raw = 0;
            for (int k = 0; k < dir.frameCount(); k++) {
                raw += dir.codec(k) == Compression.NONE ? 1 : 0;
            }
            assertTrue(raw < dir.frameCount(), "some frames are compressed");
            int unencoded = segment(SegmentEncoding.NONE, blockSize, 5, data).remaining();
            assertTrue(seg.remaining() < unencoded * 0.8, seg.remaining() + " bytes against " + unencoded + " unencoded");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lz4", "zstd:3"})
    void incompressibleDataCostsFourBytesPerFrame(String encoding) {
        int blockSize = 4096;
        byte[] data = content(blockSize, 2048, new Random(3), true);
        int unencoded = segment(SegmentEncoding.NONE, blockSize, 5, data).remaining();
        SegmentEncoding e = SegmentEncoding.parseCompression(encoding);
        ByteBuffer encoded = segment(e, blockSize, 5, data);
        // Frames of the codec's default size (4 KiB lz4, 16 KiB zstd): a 4-byte entry each, plus the directory's slot
        // count and checksum.
        assertEquals(SegmentEncoding.defaultFrameBytes(e.compression()), e.frameBytes());
        assertEquals(unencoded + 2048 / e.blocksPerFrame(blockSize) * 4 + 8, encoded.remaining());
        assertTrue(encoded.remaining() <= unencoded * 1.01);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lz4", "zstd:3"})
    void everyFlippedDataByteIsAnErrorNeverOtherData(String encoding) {
        SegmentEncoding e = SegmentEncoding.parseCompression(encoding);
        int blockSize = 512;
        int count = 300; // 128 blocks per frame: 3 frames
        byte[] data = content(blockSize, count, new Random(11), false);
        ByteBuffer seg = segment(e, blockSize, 9, data);
        byte[] bytes = new byte[seg.remaining()];
        seg.duplicate().get(bytes);
        SegmentFooter footer = SegmentFooter.decode("k", bytes.length - SegmentFooter.BYTES,
                ByteBuffer.wrap(bytes, bytes.length - SegmentFooter.BYTES, SegmentFooter.BYTES).slice(), 9, bytes.length);
        for (int at = 0; at < bytes.length; at++) {
            byte[] bad = bytes.clone();
            bad[at] ^= (byte) (1 << (at % 8));
            assertTrue(!SegmentVerifier.verify("k", 9, ByteBuffer.wrap(bad), VOLUME, blockSize).problems().isEmpty(),
                    "fsck sees the flip at " + at);
            if (at >= footer.nodeOffset()) {
                continue; // node section, extent table, footer: not read by data reads
            }
            InMemoryObjectStore store = new InMemoryObjectStore();
            await(store.create(SegmentKeys.segment(PREFIX, 9), ByteBuffer.wrap(bad)));
            SegmentReader reader = new SegmentReader(store, PREFIX, blockSize, e);
            int flipAt = at;
            assertThrows(CorruptionException.class, () -> {
                try {
                    read(reader, 9, 0, count, blockSize);
                } catch (java.util.concurrent.CompletionException x) {
                    throw x.getCause();
                }
            }, "a read of every block sees the flip at " + flipAt);
            boolean[] used = {false};
            assertThrows(CorruptionException.class, () -> {
                try {
                    await(reader.readVerified(9, 0, count, blocks -> used[0] = true));
                } catch (java.util.concurrent.CompletionException x) {
                    throw x.getCause();
                }
            }, "a lent read of every block sees the flip at " + flipAt);
            assertFalse(used[0], "blocks that failed their check were lent at " + flipAt);
        }
    }

    @Test
    void aSegmentOfAnotherLayoutIsRefusedNotMisread() {
        int blockSize = 4096;
        byte[] data = content(blockSize, 20, new Random(5), false);
        InMemoryObjectStore store = new InMemoryObjectStore();
        await(store.create(SegmentKeys.segment(PREFIX, 3), segment(SegmentEncoding.NONE, blockSize, 3, data)));
        CorruptionException e = failure(CorruptionException.class,
                new SegmentReader(store, PREFIX, blockSize, SegmentEncoding.parseCompression("lz4")).readVerified(3, 0, 1));
        assertTrue(e.getMessage().contains("expected an encoded segment"), e.getMessage());
    }

    @Test
    void emptyEncodedSegmentsHaveAnEmptyDirectory() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        ByteBuffer seg = segment(SegmentEncoding.parseCompression("zstd"), 4096, 2, new byte[0]);
        assertEquals(List.of(), SegmentVerifier.verify("k", 2, seg, VOLUME, 4096).problems());
        await(store.create(SegmentKeys.segment(PREFIX, 2), seg));
        SegmentReader reader = new SegmentReader(store, PREFIX, 4096, SegmentEncoding.parseCompression("zstd"));
        assertEquals(0, await(reader.directory(2)).frameCount());
        assertThrows(Exception.class, () -> await(reader.readVerified(2, 0, 1)));
    }

    @Test
    void encodingNamesParseOrSayWhatIsAccepted() {
        assertEquals("zstd:3", SegmentEncoding.parseCompression("zstd").describe());
        assertEquals("zstd:12", SegmentEncoding.parseCompression("ZSTD:12").describe());
        assertEquals("lz4", SegmentEncoding.parseCompression("lz4").describe());
        assertEquals(SegmentEncoding.NONE, SegmentEncoding.parseCompression("none"));
        for (String bad : List.of("gzip", "zstd:0", "zstd:20", "zstd:x", "lz4:3", "")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SegmentEncoding.parseCompression(bad));
            assertTrue(e.getMessage().contains("zstd"), e.getMessage());
        }
    }

    @org.junit.jupiter.api.Test
    void everyCodecIsFoundByItsCodeAndUnknownCodesAreRefused() {
        for (Compression c : Compression.values()) {
            assertEquals(c, Compression.fromCode(c.code()));
        }
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Compression.fromCode(3));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Compression.fromCode(-1));
    }
}
