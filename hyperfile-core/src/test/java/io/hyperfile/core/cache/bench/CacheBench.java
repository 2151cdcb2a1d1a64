package io.hyperfile.core.cache.bench;

import io.hyperfile.core.cache.CacheConfig;
import io.hyperfile.core.cache.CacheState;
import io.hyperfile.core.cache.CachingObjectStore;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.format.FormatVersion;
import io.hyperfile.core.segment.SegmentHeader;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.UnclosableObjectStore;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A 4 KiB block read (one segment slot: 4,096 data bytes + 4-byte CRC at {@code 64 + i × 4100}, as
 * {@code SegmentReader.readVerified} asks for it) of a random slot of an 8 MiB segment, all of it in the local
 * cache and in the page cache: {@code cacheHit} through {@link CachingObjectStore} (default 256 KiB chunks),
 * {@code memoryGet} the same range from {@link InMemoryObjectStore}, the reference a cache hit cannot beat (one
 * copy out of a heap array). Both wait for the returned future, single-threaded; ns per read.
 *
 * <p>Run it with {@code hyperfile-core/src/test/bench/run-jmh.sh CacheBench}; results are in docs/CACHE.md. Not
 * run in CI: CI only compiles it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CacheBench {
    private static final String PREFIX = "b/";
    private static final String SEGMENT = SegmentKeys.segment(PREFIX, 1);
    private static final int SEGMENT_BYTES = 8 << 20;
    private static final int STRIDE = 4096 + 4;
    private static final int SLOTS = (SEGMENT_BYTES - 64 - 160) / STRIDE;

    private InMemoryObjectStore memory;
    private CachingObjectStore cached;
    private Path dir;

    @State(Scope.Thread)
    public static class Cursor {
        private final SplittableRandom random = new SplittableRandom(42);

        ByteRange next() {
            return ByteRange.of(64 + (long) random.nextInt(SLOTS) * STRIDE, STRIDE);
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        memory = new InMemoryObjectStore();
        VolumeDescriptor d = new VolumeDescriptor(FormatVersion.CURRENT, 4096, 1L << 30, SEGMENT_BYTES, 4096,
                UUID.randomUUID(), 0);
        memory.create(SegmentKeys.descriptor(PREFIX), d.encode()).join();
        byte[] bytes = new byte[SEGMENT_BYTES];
        new Random(1).nextBytes(bytes);
        // A valid header: the cache caches only segments whose identity (writer id) it can check.
        new SegmentHeader(4096, d.volumeId(), 1, UUID.randomUUID()).encode(ByteBuffer.wrap(bytes), 0);
        memory.create(SEGMENT, ByteBuffer.wrap(bytes)).join();
        dir = Files.createTempDirectory("hf-cache-bench");
        cached = new CachingObjectStore(new UnclosableObjectStore(memory) /* the other benchmark keeps using it */, CacheConfig.builder(dir, 64L << 20).build());
        if (cached.opened().join() != CacheState.READY) {
            throw new IllegalStateException("cache did not open: " + cached.state());
        }
        for (long at = 0; at < SEGMENT_BYTES; at += 1 << 20) {
            cached.get(SEGMENT, ByteRange.of(at, 1 << 20)).join();
        }
        cached.drainInserts().join();
        long missesBefore = cached.stats().misses();
        for (long at = 0; at < SEGMENT_BYTES; at += 1 << 20) {
            cached.get(SEGMENT, ByteRange.of(at, 1 << 20)).join();
        }
        if (cached.stats().misses() != missesBefore) {
            throw new IllegalStateException("the segment is not all cached: " + cached.stats());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        System.out.println(cached.stats());
        cached.close();
        memory.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Benchmark
    public ObjectData cacheHit(Cursor cursor) {
        return cached.get(SEGMENT, cursor.next()).join();
    }

    @Benchmark
    public ObjectData memoryGet(Cursor cursor) {
        return memory.get(SEGMENT, cursor.next()).join();
    }
}
