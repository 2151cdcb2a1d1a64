package io.hyperfile.core.volume;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.crypto.TestEncodings;
import io.hyperfile.core.encoding.SegmentEncoding;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random sequences of write / write-zeroes / trim / flush / read / block status / crash-and-reopen against a byte
 * array ({@link VolumeModelRunner}), with tiny blocks, segments and index nodes so that every split, merge and
 * segment rollover runs, on a memory store that completes on other threads. Fixed seeds plus one random seed per
 * run; each failure prints its seed and step. {@code -Dhyperfile.model.steps}, {@code -Dhyperfile.model.seeds}
 * (extra random seeds) and {@code -Dhyperfile.model.seed} (replay one) tune it; {@code -Pnightly} runs longer.
 */
class VolumeModelTest {
    static final int BLOCK = 512;
    static final int SIZE = 8 << 20;
    /** 8 data blocks per segment. */
    static final int SEGMENT_TARGET = 64 + 160 + 8 * (BLOCK + 4);
    /** Leaf fanout 6, internal fanout 4. */
    static final int NODE_BYTES = Integer.getInteger("hyperfile.model.node-bytes", 8 + 4 * 43);

    static final VolumeModelRunner RUNNER = new VolumeModelRunner(SIZE, BLOCK, SEGMENT_TARGET, NODE_BYTES, 4 << 20);

    private static ExecutorService storeThreads;

    @BeforeAll
    static void startStoreThreads() {
        storeThreads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "test-store");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    static void stopStoreThreads() {
        storeThreads.shutdownNow();
    }

    static VolumeConfig config() {
        return RUNNER.config();
    }

    static List<Long> seeds() {
        if (Long.getLong("hyperfile.model.seed") != null) {
            return Collections.nCopies(Integer.getInteger("hyperfile.model.repeat", 1), Long.getLong("hyperfile.model.seed"));
        }
        List<Long> seeds = new ArrayList<>(List.of(1L, 2L, 3L, 42L, 20261125L));
        seeds.add(System.nanoTime());
        Random r = new Random();
        for (int i = 0; i < Integer.getInteger("hyperfile.model.seeds", 0); i++) {
            seeds.add(r.nextLong());
        }
        return seeds;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomOperationsMatchTheModel(long seed) {
        RUNNER.run(new InMemoryObjectStore(Clock.systemUTC(), storeThreads), "v", seed,
                Integer.getInteger("hyperfile.model.steps", 1500));
    }

    /** One segment upload at a time (the default is several), with and without garbage collection. */
    @ParameterizedTest(name = "seed {0} gc {1}")
    @CsvSource({"1, false", "42, false", "7, true"})
    void oneUploadAtATimeMatchesTheModel(long seed, boolean gc) {
        VolumeModelRunner runner = RUNNER.withUploadParallelism(1);
        int steps = Integer.getInteger("hyperfile.model.steps", 1500);
        InMemoryObjectStore store = new InMemoryObjectStore(Clock.systemUTC(), storeThreads);
        if (gc) {
            runner.withGc().run(store, "v", seed, steps / 3);
        } else {
            runner.run(store, "v", seed, steps);
        }
    }

    /** Each compression with a fixed and a random seed, and a shorter run with garbage collection. */
    static List<Arguments> encodedSeeds() {
        List<Arguments> out = new ArrayList<>();
        for (String encoding : List.of("lz4", "zstd:3", "aes-256-gcm", "lz4+aes-256-gcm")) {
            out.add(Arguments.of(encoding, 7L, false));
            out.add(Arguments.of(encoding, System.nanoTime(), false));
            out.add(Arguments.of(encoding, 7L, true));
        }
        return out;
    }

    @ParameterizedTest(name = "{0} seed {1} gc {2}")
    @MethodSource("encodedSeeds")
    void compressedVolumesMatchTheModel(String encoding, long seed, boolean gc) {
        SegmentEncoding enc = TestEncodings.parse(encoding);
        VolumeModelRunner runner = RUNNER.withEncoding(enc);
        int steps = Integer.getInteger("hyperfile.model.steps", 1500);
        if (!gc) {
            runner.run(TestEncodings.wrap(new InMemoryObjectStore(Clock.systemUTC(), storeThreads), enc), "v", seed, steps);
            return;
        }
        // Compaction yields to client writes for up to 10 s a move while the tiny write buffer is busy: fewer steps.
        VolumeModelRunner.GcTotals totals = runner.withGc().run(TestEncodings.wrap(
                new InMemoryObjectStore(Clock.systemUTC(), storeThreads), enc), "v", seed, steps / 3);
        assertTrue(totals.passes() > 1 && totals.movedBlocks() > 0, "the passes moved blocks: " + totals);
    }

    /**
     * Read defragmentation on: segments of 64 blocks, so that a batch (at most one segment) has room for the reads
     * of fragmented ranges (with 8 blocks per segment hardly any read qualifies), and a 1 MiB volume with requests of
     * at most 64 KiB, so that small writes fragment it densely; with and without garbage collection.
     */
    @ParameterizedTest(name = "seed {0} gc {1}")
    @CsvSource({"3, false", "11, true"})
    void readDefragmentationMatchesTheModel(long seed, boolean gc) {
        VolumeModelRunner runner = new VolumeModelRunner(1 << 20, BLOCK, 64 + 160 + 64 * (BLOCK + 4), NODE_BYTES, 64 << 10);
        InMemoryObjectStore store = new InMemoryObjectStore(Clock.systemUTC(), storeThreads);
        int steps = Integer.getInteger("hyperfile.model.steps", 1500);
        VolumeModelRunner.GcTotals totals = gc ? runner.withGc().run(store, "v", seed, steps / 3)
                : runner.run(store, "v", seed, steps);
        assertTrue(totals.readDefragBytes() > 0, "reads moved blocks: " + totals);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomOperationsMatchTheModelWhileGarbageCollectionRuns(long seed) {
        VolumeModelRunner.GcTotals gc = RUNNER.withGc().run(new InMemoryObjectStore(Clock.systemUTC(), storeThreads), "v",
                seed, Integer.getInteger("hyperfile.model.steps", 1500));
        assertTrue(gc.passes() > 1 && gc.deletedSegments() > 0 && gc.movedBlocks() > 0, "the passes deleted and moved: " + gc);
        assertTrue(gc.tableChecks() > 0, "the live table was checked against a walk: " + gc);
    }
}
