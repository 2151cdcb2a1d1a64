package io.hyperfile.core.format.bench;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
 * Buffer copies on the I/O path ({@code ByteBuffer.put(ByteBuffer)} and {@code System.arraycopy}): heap to heap,
 * heap to direct (a write payload into a segment builder), direct to heap (a read out of a direct buffer into a
 * reply or result), direct to direct, for one 4 KiB block and for 1 MiB. Average time per copy; bytes per second =
 * {@code bytes} / score. Run with {@code hyperfile-core/src/test/bench/run-jmh.sh BufferCopyBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BufferCopyBench {
    @Param({"4096", "1048576"})
    public int bytes;

    private byte[] srcArray;
    private byte[] dstArray;
    private ByteBuffer heapSrc;
    private ByteBuffer heapDst;
    private ByteBuffer directSrc;
    private ByteBuffer directDst;

    @Setup
    public void setUp() {
        srcArray = new byte[bytes];
        new Random(1).nextBytes(srcArray);
        dstArray = new byte[bytes];
        heapSrc = ByteBuffer.wrap(srcArray.clone());
        heapDst = ByteBuffer.allocate(bytes);
        directSrc = ByteBuffer.allocateDirect(bytes).put(ByteBuffer.wrap(srcArray)).flip();
        directDst = ByteBuffer.allocateDirect(bytes);
    }

    @Benchmark
    public byte[] arraycopy() {
        System.arraycopy(srcArray, 0, dstArray, 0, bytes);
        return dstArray;
    }

    @Benchmark
    public ByteBuffer heapToHeap() {
        return heapDst.clear().put(heapSrc.duplicate());
    }

    @Benchmark
    public ByteBuffer heapToDirect() {
        return directDst.clear().put(heapSrc.duplicate());
    }

    @Benchmark
    public ByteBuffer directToHeap() {
        return heapDst.clear().put(directSrc.duplicate());
    }

    @Benchmark
    public ByteBuffer directToDirect() {
        return directDst.clear().put(directSrc.duplicate());
    }
}
