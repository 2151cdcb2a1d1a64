package io.hyperfile.core.format.bench;

import io.hyperfile.core.segment.SegmentBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * CRC32C costs on the read and write paths: {@link CRC32C} over heap arrays, heap {@link ByteBuffer}s and direct
 * buffers, and the per-block verify loop of {@code SegmentReader.verifyBlocks} (for each stored block: CRC32C of a
 * 16-byte seq/slot prefix plus the block via {@link SegmentBuilder#blockCrc}, compare with the stored checksum, copy
 * the block into a heap result) over 32 blocks of 4 KiB (a 128 KiB read) in a heap or a direct source.
 *
 * <p>Scores are average time per operation; bytes per second = {@code bytes} / score. Run with
 * {@code hyperfile-core/src/test/bench/run-jmh.sh ChecksumBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ChecksumBench {
    private static final int BLOCK = 4096;
    private static final int VERIFY_BLOCKS = 32;

    @Param({"4096", "1048576"})
    public int bytes;

    private byte[] array;
    private ByteBuffer heap;
    private ByteBuffer direct;
    private final CRC32C crc = new CRC32C();

    private ByteBuffer segmentHeap;
    private ByteBuffer segmentDirect;
    private final ByteBuffer prefix = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);

    @Setup
    public void setUp() {
        Random random = new Random(1);
        array = new byte[bytes];
        random.nextBytes(array);
        heap = ByteBuffer.wrap(array.clone());
        direct = ByteBuffer.allocateDirect(bytes).put(ByteBuffer.wrap(array)).flip();
        // A stored run of blocks as a segment holds them: each 4 KiB block followed by its 4-byte checksum.
        int stride = BLOCK + 4;
        segmentHeap = ByteBuffer.allocate(VERIFY_BLOCKS * stride).order(ByteOrder.LITTLE_ENDIAN);
        byte[] block = new byte[BLOCK];
        for (int i = 0; i < VERIFY_BLOCKS; i++) {
            random.nextBytes(block);
            segmentHeap.put(i * stride, block);
            int c = SegmentBuilder.blockCrc(7, i, segmentHeap, i * stride, BLOCK, crc, prefix);
            segmentHeap.putInt(i * stride + BLOCK, c);
        }
        segmentDirect = ByteBuffer.allocateDirect(segmentHeap.capacity()).order(ByteOrder.LITTLE_ENDIAN)
                .put(segmentHeap.duplicate()).flip();
    }

    @Benchmark
    public long crc32cArray() {
        crc.reset();
        crc.update(array, 0, bytes);
        return crc.getValue();
    }

    @Benchmark
    public long crc32cHeapBuffer() {
        crc.reset();
        crc.update(heap.duplicate());
        return crc.getValue();
    }

    @Benchmark
    public long crc32cDirectBuffer() {
        crc.reset();
        crc.update(direct.duplicate());
        return crc.getValue();
    }

    /** 32 blocks (128 KiB) from a heap source, as {@code SegmentReader.verifyBlocks} does it; independent of bytes. */
    @Benchmark
    public ByteBuffer verify32BlocksHeap() {
        return verify(segmentHeap);
    }

    /** The same from a direct source (as a store or cache might return it). */
    @Benchmark
    public ByteBuffer verify32BlocksDirect() {
        return verify(segmentDirect);
    }

    private ByteBuffer verify(ByteBuffer src) {
        int stride = BLOCK + 4;
        ByteBuffer out = ByteBuffer.allocate(VERIFY_BLOCKS * BLOCK);
        for (int i = 0; i < VERIFY_BLOCKS; i++) {
            int at = i * stride;
            int stored = src.getInt(at + BLOCK);
            int actual = SegmentBuilder.blockCrc(7, i, src, at, BLOCK, crc, prefix);
            if (stored != actual) {
                throw new IllegalStateException("checksum mismatch in block " + i);
            }
            out.put(src.duplicate().position(at).limit(at + BLOCK));
        }
        return out.flip();
    }
}
