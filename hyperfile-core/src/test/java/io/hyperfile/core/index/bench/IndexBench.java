package io.hyperfile.core.index.bench;

import io.hyperfile.core.index.BlockIndex;
import io.hyperfile.core.index.Extent;
import io.hyperfile.core.index.IndexAccess;
import io.hyperfile.core.index.IndexNode;
import io.hyperfile.core.index.Location;
import io.hyperfile.core.index.MutableBlockIndex;
import io.hyperfile.core.index.NodeCache;
import io.hyperfile.core.index.NodeCodec;
import io.hyperfile.core.index.NodeLimits;
import io.hyperfile.core.index.NodeNotLoadedException;
import io.hyperfile.core.index.NodeResolver;
import io.hyperfile.core.index.SaveResult;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Insert and lookup rates of the block index with default 4096-byte nodes on an index of 2^20 one-block extents
 * (every other block of a 2^21-block volume, random data locations so nothing merges). "Memory" variants run on a
 * never-saved tree (children by reference); "cached" variants on the saved tree, resolving every child through a
 * {@link NodeCache} that holds all nodes, which is the volume's hot path. Not run by the tests:
 * {@code java -cp <test classpath> org.openjdk.jmh.Main IndexBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
public class IndexBench {
    static final int EXTENTS = 1 << 20;
    static final long VOLUME_BLOCKS = 2L * EXTENTS;

    private BlockIndex memory;
    private BlockIndex saved;
    private NodeResolver cached;
    private MutableBlockIndex mutableMemory;
    private MutableBlockIndex mutableSaved;
    private IndexAccess access;
    private SplittableRandom random;
    private long nextOffset;

    @Setup(Level.Trial)
    public void build() {
        SplittableRandom r = new SplittableRandom(1);
        MutableBlockIndex m = BlockIndex.empty(NodeLimits.defaults()).toMutable();
        for (int i = 0; i < EXTENTS; i++) {
            m.put(NodeResolver.NONE, 2L * i, 1, Location.data(1, r.nextLong(1L << 31)));
        }
        memory = m.snapshot();
        SaveResult result = saveAppending(m, 1);
        NodeCache cache = new NodeCache(1L << 31);
        for (SaveResult.SavedNode node : result.writtenNodes()) {
            cache.put(node.pointer(), node.node());
        }
        saved = result.index();
        access = new IndexAccess(new NodeCodec(NodeLimits.defaults()), cache,
                p -> CompletableFuture.failedFuture(new IllegalStateException("every node is cached")), Runnable::run);
        cached = p -> {
            IndexNode node = cache.get(p);
            if (node == null) {
                throw new NodeNotLoadedException(p);
            }
            return node;
        };
    }

    @Setup(Level.Iteration)
    public void reset() {
        mutableMemory = memory.toMutable();
        mutableSaved = saved.toMutable();
        random = new SplittableRandom(2);
        nextOffset = 0;
    }

    private Location nextLocation() {
        if (nextOffset >= NodeLimits.MAX_BLOCK_OFFSET - 1) {
            nextOffset = 0;
        }
        return Location.data(2, nextOffset++);
    }

    @Benchmark
    public List<?> lookupOneBlockMemory() {
        return memory.lookup(NodeResolver.NONE, random.nextLong(VOLUME_BLOCKS), 1);
    }

    @Benchmark
    public List<?> lookupOneBlockCached() {
        return saved.lookup(cached, random.nextLong(VOLUME_BLOCKS), 1);
    }

    /** A 128 KiB read: 32 blocks, about 16 extents and 16 holes. */
    @Benchmark
    public List<?> lookup32BlocksCached() {
        return saved.lookup(cached, random.nextLong(VOLUME_BLOCKS - 32), 32);
    }

    /** A random 4 KiB write applied to the in-memory tree. */
    @Benchmark
    public void putRandomBlockMemory() {
        mutableMemory.put(NodeResolver.NONE, random.nextLong(VOLUME_BLOCKS), 1, nextLocation());
    }

    /** A random 4 KiB write applied on top of the saved tree (copy-on-write from cached nodes). */
    @Benchmark
    public void putRandomBlockCached() {
        mutableSaved.put(cached, random.nextLong(VOLUME_BLOCKS), 1, nextLocation());
    }

    /**
     * The flush of the suite's flush32 row, as a volume makes it: 32 random 4 KiB writes applied to the saved tree in
     * one run of {@link IndexAccess} (nodes resolved through it and the shared cache), then the changed nodes saved
     * and cached. The saved index is not kept, so every invocation starts from the same tree.
     */
    @Benchmark
    @OperationsPerInvocation(32)
    public SaveResult flush32RandomPutsThroughAccess() {
        MutableBlockIndex m = saved.toMutable();
        access.run(r -> {
            for (int i = 0; i < 32; i++) {
                m.put(r, random.nextLong(VOLUME_BLOCKS), 1, nextLocation());
            }
            return null;
        }).join();
        return saveAppending(m, 3);
    }

    /**
     * A flush window as the volume indexes it: 32 random 4 KiB writes, sorted, as the extents of one new segment
     * mapped with {@code putAll} through {@link IndexAccess}, then save.
     */
    @Benchmark
    @OperationsPerInvocation(32)
    public SaveResult flush32WindowThroughAccess() {
        MutableBlockIndex m = saved.toMutable();
        long[] blocks = new long[32];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = random.nextLong(VOLUME_BLOCKS);
        }
        Arrays.sort(blocks);
        long seq = 4; // every invocation starts again from the saved tree, whose extents all lie in segment 1
        List<Extent> window = new ArrayList<>(blocks.length);
        for (int i = 0; i < blocks.length; i++) {
            if (i == 0 || blocks[i] > blocks[i - 1] + 1) {
                window.add(new Extent(blocks[i], 1, Location.data(seq, 2L * i)));
            }
        }
        access.run(r -> {
            m.putAll(r, window);
            return null;
        }).join();
        return saveAppending(m, 3);
    }

    /** A flush: 1000 random 4 KiB writes on the saved tree, then save (encode + CRC) of every changed node. */
    @Benchmark
    @OperationsPerInvocation(1000)
    public SaveResult flush1000RandomPuts() {
        MutableBlockIndex m = saved.toMutable();
        for (int i = 0; i < 1000; i++) {
            m.put(cached, random.nextLong(VOLUME_BLOCKS), 1, nextLocation());
        }
        return saveAppending(m, 3);
    }

    /** Saves {@code m}'s changed nodes into segment {@code seq}, each appended after the last (nothing is kept). */
    private static SaveResult saveAppending(MutableBlockIndex m, long seq) {
        long[] next = {0};
        return m.save(seq, buf -> {
            next[0] += buf.remaining();
            return next[0] - buf.remaining();
        });
    }
}
