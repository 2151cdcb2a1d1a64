package io.hyperfile.core.cache;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.format.FormatVersion;
import io.hyperfile.core.segment.ExtentRecord;
import io.hyperfile.core.segment.SegmentBuilder;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentHeader;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.UnclosableObjectStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * Helpers for the cache tests: fake volumes (a descriptor, and segment objects of random bytes behind a valid segment
 * header) and a store that outlives its wrappers.
 */
final class CacheTesting {
    static final int CHUNK = 4096;

    private CacheTesting() {
    }

    static CacheConfig config(Path dir, int chunks) {
        return CacheConfig.builder(dir, (long) chunks * CHUNK).chunkSizeBytes(CHUNK).build();
    }

    /** Opens a cache over {@code store} and waits until it is ready. */
    static CachingObjectStore openReady(ObjectStore store, CacheConfig config) {
        CachingObjectStore cached = new CachingObjectStore(new UnclosableObjectStore(store), config);
        assertEquals(CacheState.READY, await(cached.opened()));
        return cached;
    }

    /** Creates the descriptor of a volume with a new id under {@code prefix} (directly in {@code store}). */
    static UUID createVolume(ObjectStore store, String prefix) {
        return createVolume(store, prefix, UUID.randomUUID());
    }

    /** Creates the descriptor of a volume with id {@code id} under {@code prefix}: {@code id} may be another's (a copy). */
    static UUID createVolume(ObjectStore store, String prefix, UUID id) {
        VolumeDescriptor d = new VolumeDescriptor(FormatVersion.CURRENT, 4096, 1L << 30, 1 << 23, 4096, id, 0);
        await(store.create(SegmentKeys.descriptor(prefix), d.encode()));
        return id;
    }

    /**
     * Creates segment {@code seq} of {@code size} bytes under {@code prefix}, written by writer {@link #writer}
     * ({@code seed}), and returns its bytes.
     */
    static byte[] createSegment(ObjectStore store, String prefix, long seq, int size, long seed) {
        return createSegment(store, prefix, seq, size, seed, writer(seed));
    }

    /** Like {@link #createSegment(ObjectStore, String, long, int, long)}, by writer {@code writerId}. */
    static byte[] createSegment(ObjectStore store, String prefix, long seq, int size, long seed, UUID writerId) {
        byte[] bytes = segment(seq, size, seed, writerId);
        await(store.create(SegmentKeys.segment(prefix, seq), ByteBuffer.wrap(bytes)));
        return bytes;
    }

    /** {@code size} (at least a header's) random bytes behind a valid header of segment {@code seq} by {@code writerId}. */
    static byte[] segment(long seq, int size, long seed, UUID writerId) {
        byte[] bytes = random(size, seed);
        new SegmentHeader(4096, new UUID(0, 1), seq, writerId).encode(ByteBuffer.wrap(bytes), 0);
        return bytes;
    }

    /** A writer id made from {@code seed}: equal seeds, equal writers. */
    static UUID writer(long seed) {
        return new UUID(0x5eed, seed);
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /**
     * A real segment {@code seq} (built by {@link SegmentBuilder}, unencoded, 4 KiB blocks of random bytes) holding one
     * run per {@code {firstBlock, blocks}} pair, written in the order given.
     */
    static byte[] builtSegment(long seq, long[][] runs, long seed) {
        Random rnd = new Random(seed);
        int blocks = 0;
        for (long[] r : runs) {
            blocks += (int) r[1];
        }
        SegmentBuilder builder = new SegmentBuilder(ByteBuffer.allocate(SegmentBuilder.minimumCapacity(4096, blocks)), 4096,
                blocks, seq, new UUID(0, 1), writer(seed), ByteBuffer.allocate(4096).asReadOnlyBuffer());
        byte[] block = new byte[4096];
        for (long[] r : runs) {
            for (long b = r[0]; b < r[0] + r[1]; b++) {
                rnd.nextBytes(block);
                builder.writeBlock(b, ByteBuffer.wrap(block), 0);
            }
        }
        List<ExtentRecord> records = builder.seal();
        ByteBuffer seg = builder.finish(records, (dataOffset, dataBlocks, nodeOffset, nodeLength, tableOffset, tableLength,
                headerCrc, blockCrcsCrc, nodeCrc, tableCrc) -> new SegmentFooter(seq, 1L << 30, dataOffset, dataBlocks,
                nodeOffset, nodeLength, tableOffset, tableLength, 0, 0, 0, 0, 0, 0, 1000, headerCrc, blockCrcsCrc, nodeCrc,
                tableCrc));
        byte[] bytes = new byte[seg.remaining()];
        seg.get(bytes);
        return bytes;
    }

    static byte[] read(ObjectStore store, String key, long offset, long length) {
        ObjectData d = await(store.get(key, ByteRange.of(offset, length)));
        assertEquals(offset, d.offset());
        return d.toByteArray();
    }

    static byte[] slice(byte[] bytes, long offset, long length) {
        int end = (int) Math.min(bytes.length, offset + length);
        byte[] out = new byte[end - (int) offset];
        System.arraycopy(bytes, (int) offset, out, 0, out.length);
        return out;
    }
}
