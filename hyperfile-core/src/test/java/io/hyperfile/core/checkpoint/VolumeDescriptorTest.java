package io.hyperfile.core.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.encoding.SegmentEncoding;
import io.hyperfile.core.format.Crc32c;
import io.hyperfile.core.format.FormatVersion;
import io.hyperfile.core.index.NodeLimits;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class VolumeDescriptorTest {
    private static final UUID ID = new UUID(1, 2);

    private static VolumeDescriptor descriptor(int blockSizeBytes, long sizeBytes) {
        return new VolumeDescriptor(FormatVersion.V1, blockSizeBytes, sizeBytes, 8 << 20, 4096, ID, 1000);
    }

    @Test
    void theBlockLimitIsTheIndexLimit() {
        assertEquals(NodeLimits.MAX_BLOCKS, VolumeDescriptor.MAX_BLOCKS);
        assertEquals(1L << 60, VolumeDescriptor.maxSizeBytes(4096));
        assertEquals(1L << 57, VolumeDescriptor.maxSizeBytes(512));
        assertEquals(Long.MAX_VALUE / 65536 * 65536, VolumeDescriptor.maxSizeBytes(65536), "2^48 blocks of 64 KiB overflow a long");
    }

    @Test
    void aVolumeOfExactly2To48BlocksRoundTrips() {
        VolumeDescriptor d = descriptor(512, 1L << 57);
        assertEquals(1L << 48, d.blockCount());
        assertEquals(d, VolumeDescriptor.decode("v/volume", d.encode()));
        assertEquals(1L << 48, descriptor(4096, 1L << 60).blockCount());
    }

    @Test
    void moreBlocksThanTheIndexAddressesAreRejectedAtCreate() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> descriptor(512, (1L << 57) + 512));
        assertEquals("size must be at most 2^48 blocks (the index's limit: 144115188075855872 bytes at this block size)."
                + " sizeBytes=144115188075856384, blockSizeBytes=512, blocks=281474976710657", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> descriptor(4096, 1L << 61));
    }

    @Test
    void aStoredDescriptorWithTooManyBlocksIsCorruption() {
        ByteBuffer b = descriptor(4096, 1L << 30).encode().order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(16, 1L << 61);
        b.putInt(124, Crc32c.of(b.array(), 0, 124));
        CorruptionException e = assertThrows(CorruptionException.class, () -> VolumeDescriptor.decode("v/volume", b));
        assertEquals(true, e.getMessage().startsWith("corrupt data in v/volume at offset 0: volume descriptor holds impossible"
                + " values: size must be at most 2^48 blocks"), e.getMessage());
    }

    @Test
    void aClonesDescriptorIsVersion2WithItsOriginAfterTheFirst128Bytes() {
        VolumeDescriptor plain = descriptor(4096, 1L << 30);
        assertEquals(VolumeDescriptor.BYTES, plain.encode().remaining());
        VolumeDescriptor clone = plain.asCloneOf(new CloneOrigin("src", new UUID(3, 4), 42, false), new UUID(5, 6), 2000);
        ByteBuffer b = clone.encode().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(VolumeDescriptor.CLONE_BYTES, b.remaining());
        assertEquals(2, b.getShort(8));
        assertEquals(1, b.getShort(10));
        assertEquals(Crc32c.of(b.array(), 0, 124), b.getInt(124), "the first 128 bytes are checked on their own, as in version 1");
        assertEquals(3, b.getLong(128));
        assertEquals(4, b.getLong(136));
        assertEquals(42, b.getLong(144));
        assertEquals(3, b.get(152));
        assertEquals('s', b.get(153));
        assertEquals(0, b.get(156));
        assertEquals(Crc32c.of(b.array(), 128, 92), b.getInt(220));
        VolumeDescriptor decoded = VolumeDescriptor.decode("c/volume", b);
        assertEquals(clone, decoded);
        assertEquals(true, decoded.isClone());
        assertEquals(42, decoded.borrowedUpTo());

        VolumeDescriptor flat = new VolumeDescriptor(FormatVersion.V2, 4096, 1L << 30, 8 << 20, 4096, new UUID(5, 6), 2000,
                clone.origin().asFlattened());
        ByteBuffer fb = flat.encode().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(3, fb.getShort(10));
        VolumeDescriptor flatDecoded = VolumeDescriptor.decode("c/volume", fb);
        assertEquals(false, flatDecoded.isClone());
        assertEquals(42, flatDecoded.borrowedUpTo());

        byte[] garbled = clone.encode().array();
        garbled[150] ^= 1;
        CorruptionException e = assertThrows(CorruptionException.class, () -> VolumeDescriptor.decode("c/volume", ByteBuffer.wrap(garbled)));
        assertEquals(true, e.getMessage().contains("clone origin"), e.getMessage());
    }

    @Test
    void anEncodedVolumeHasVersion3AndItsClonesKeepTheEncoding() {
        SegmentEncoding zstd = SegmentEncoding.parseCompression("zstd:7");
        VolumeDescriptor d = new VolumeDescriptor(FormatVersion.V3, 4096, 1L << 30, 8 << 20, 4096, ID, 1000, null, zstd);
        ByteBuffer bytes = d.encode();
        assertEquals(VolumeDescriptor.BYTES, bytes.remaining());
        assertEquals(3, bytes.order(ByteOrder.LITTLE_ENDIAN).getShort(8));
        assertEquals(2, bytes.get(56));
        assertEquals(7, bytes.get(57));
        assertEquals(d, VolumeDescriptor.decode("v/volume", d.encode()));

        VolumeDescriptor clone = d.asCloneOf(new CloneOrigin("src", new UUID(3, 4), 42, false), new UUID(5, 6), 2000);
        assertEquals(FormatVersion.V3, clone.formatVersion());
        assertEquals(zstd, clone.encoding());
        assertEquals(VolumeDescriptor.CLONE_BYTES, clone.encode().remaining());
        assertEquals(clone, VolumeDescriptor.decode("c/volume", clone.encode()));
        VolumeDescriptor flat = clone.withOrigin(clone.origin().asFlattened());
        assertEquals(flat, VolumeDescriptor.decode("c/volume", flat.encode()));

        assertEquals(FormatVersion.V1, VolumeDescriptor.versionFor(null, SegmentEncoding.NONE));
        assertThrows(IllegalArgumentException.class,
                () -> new VolumeDescriptor(FormatVersion.V1, 4096, 1L << 30, 8 << 20, 4096, ID, 1000, null, zstd));
        assertThrows(IllegalArgumentException.class, () -> new VolumeDescriptor(FormatVersion.V3, 4096, 1L << 30, 8 << 20,
                4096, ID, 1000, null, SegmentEncoding.NONE));
    }

    @Test
    void aVersion3DescriptorNamingNoOrAnUnknownCodecIsCorrupt() {
        VolumeDescriptor d = new VolumeDescriptor(FormatVersion.V3, 4096, 1L << 30, 8 << 20, 4096, ID, 1000, null,
                SegmentEncoding.parseCompression("lz4"));
        for (int codec : new int[] {0, 9}) {
            ByteBuffer b = d.encode();
            b.put(56, (byte) codec);
            b.putInt(124, Crc32c.of(b.array(), 0, 124));
            CorruptionException e = assertThrows(CorruptionException.class, () -> VolumeDescriptor.decode("v/volume", b));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("encoding"), e.getMessage());
        }
    }

    @Test
    void theFrameSizeIsRecordedAndAZeroMeansTheFramesOfOlderVolumes() {
        SegmentEncoding lz4 = SegmentEncoding.parseCompression("lz4").withFrameBytes(32 << 10);
        VolumeDescriptor d = new VolumeDescriptor(FormatVersion.V3, 4096, 1L << 30, 8 << 20, 4096, ID, 1000, null, lz4);
        ByteBuffer b = d.encode();
        assertEquals(15, b.get(59), "log2 of 32 KiB");
        assertEquals(d, VolumeDescriptor.decode("v/volume", b.duplicate()));
        b.put(59, (byte) 0);
        b.putInt(124, Crc32c.of(b.array(), 0, 124));
        assertEquals(SegmentEncoding.LEGACY_FRAME_BYTES, VolumeDescriptor.decode("v/volume", b.duplicate()).encoding().frameBytes(),
                "a descriptor written before frame sizes were recorded: 64 KiB frames");
        b.put(59, (byte) 21); // 2 MiB: larger than any frame may be
        b.putInt(124, Crc32c.of(b.array(), 0, 124));
        assertThrows(CorruptionException.class, () -> VolumeDescriptor.decode("v/volume", b.duplicate()));
        VolumeDescriptor encrypted = new VolumeDescriptor(FormatVersion.V4, 4096, 1L << 30, 8 << 20, 4096, ID, 1000, null,
                SegmentEncoding.NONE.withEncryption(io.hyperfile.core.encoding.Encryption.AES_256_GCM));
        ByteBuffer e = encrypted.encode();
        assertEquals(4, e.order(ByteOrder.LITTLE_ENDIAN).getShort(8));
        assertEquals(0, e.get(56));
        assertEquals(1, e.get(58));
        assertEquals(0, e.get(59));
        assertEquals(encrypted, VolumeDescriptor.decode("v/volume", e));
    }
}
