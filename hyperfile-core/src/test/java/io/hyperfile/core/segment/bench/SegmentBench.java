package io.hyperfile.core.segment.bench;

import io.hyperfile.core.segment.ExtentRecord;
import io.hyperfile.core.segment.SegmentBuilder;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Segment encode and decode throughput for a full default segment (8 MiB target, 4 KiB blocks, 2,030 blocks).
 * Encode: copy every block into a builder (with its checksum), seal, append the extent table and footer. Decode:
 * one ranged read of every block from a memory store, verifying each block's checksum. Reported per segment;
 * MiB/s = 7.93 / (ms per op) * 1000.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SegmentBench {
    private static final int BLOCK = 4096;
    private static final int BLOCKS = (8 << 20) / (BLOCK + 4) - 1;

    private ByteBuffer memory;
    private ByteBuffer payload;
    private final ByteBuffer zero = ByteBuffer.allocateDirect(BLOCK).asReadOnlyBuffer();
    private SegmentReader reader;

    @Setup
    public void setUp() {
        memory = ByteBuffer.allocateDirect(SegmentBuilder.minimumCapacity(BLOCK, BLOCKS) + (1 << 20));
        byte[] bytes = new byte[BLOCK * BLOCKS];
        new Random(1).nextBytes(bytes);
        payload = ByteBuffer.wrap(bytes);
        InMemoryObjectStore store = new InMemoryObjectStore();
        store.create(SegmentKeys.segment("b/", 1), encode(1)).join();
        reader = new SegmentReader(store, "b/", BLOCK);
    }

    private ByteBuffer encode(long seq) {
        SegmentBuilder b = new SegmentBuilder(memory, BLOCK, BLOCKS, seq, UUID.randomUUID(), UUID.randomUUID(), zero);
        for (int i = 0; i < BLOCKS; i++) {
            b.writeBlock(i, payload.duplicate().position(i * BLOCK), 0);
        }
        List<ExtentRecord> records = b.seal();
        return b.finish(records, (dataOffset, dataBlocks, nodeOffset, nodeLength, tableOffset, tableLength, headerCrc,
                blockCrcsCrc, nodeCrc, tableCrc) -> new SegmentFooter(seq, 1L << 30, dataOffset, dataBlocks, nodeOffset,
                nodeLength, tableOffset, tableLength, 0, 0, 0, 0, 0, 0, 0, headerCrc, blockCrcsCrc, nodeCrc, tableCrc));
    }

    @Benchmark
    public ByteBuffer encodeFullSegment() {
        return encode(2);
    }

    @Benchmark
    public ByteBuffer decodeAllBlocks() {
        return reader.readBlocks(1, 0, BLOCKS).join();
    }
}
