package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random sequences of write / write-zeroes / trim / flush / read / block status / crash-and-reopen against a byte
 * array, with tiny blocks, segments and index nodes so that every split, merge and segment rollover runs. Each
 * seed prints itself and the failing step. Set {@code -Dhyperfile.model.steps} and {@code -Dhyperfile.model.seeds}
 * for longer runs (the nightly profile does).
 */
class VolumeModelTest {
    static final int BLOCK = 512;
    static final int SIZE = 8 << 20;
    /** 8 data blocks per segment. */
    static final int SEGMENT_TARGET = 64 + 160 + 8 * (BLOCK + 4);
    /** Leaf fanout 6, internal fanout 4. */
    static final int NODE_BYTES = Integer.getInteger("hyperfile.model.node-bytes", 8 + 4 * 43);

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

    static List<Long> seeds() {
        if (Long.getLong("hyperfile.model.seed") != null) {
            return java.util.Collections.nCopies(Integer.getInteger("hyperfile.model.repeat", 1), Long.getLong("hyperfile.model.seed"));
        }
        int extra = Integer.getInteger("hyperfile.model.seeds", 0);
        List<Long> seeds = new java.util.ArrayList<>(List.of(1L, 2L, 3L, 42L, 20261125L));
        seeds.add(System.nanoTime());
        Random r = new Random();
        for (int i = 0; i < extra; i++) {
            seeds.add(r.nextLong());
        }
        return seeds;
    }

    static VolumeConfig config() {
        return VolumeConfig.builder().flushAge(Duration.ofHours(1)).dirtyLimitBytes(8L * SEGMENT_TARGET)
                .nodeCacheBytes(64 << 10).build();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomOperationsMatchTheModel(long seed) {
        int steps = Integer.getInteger("hyperfile.model.steps", 1500);
        ObjectStore store = new InMemoryObjectStore(Clock.systemUTC(), storeThreads);
        Random rnd = new Random(seed);
        VolumeModel model = new VolumeModel(SIZE, BLOCK);
        await(Volume.create(store, "v", new VolumeOptions(SIZE, BLOCK, SEGMENT_TARGET, NODE_BYTES), Clock.systemUTC()));
        Volume volume = await(Volume.open(store, "v", "model", config()));
        int step = 0;
        String op = "";
        try {
            for (step = 0; step < steps; step++) {
                if (Boolean.getBoolean("hyperfile.model.trace") && !op.isEmpty()) {
                    System.err.println("step " + (step - 1) + ": " + op);
                }
                int dice = rnd.nextInt(100);
                if (dice < 40) {
                    long[] r = range(rnd);
                    byte[] data = new byte[(int) r[1]];
                    rnd.nextBytes(data);
                    boolean fua = rnd.nextInt(20) == 0;
                    op = (fua ? "writeDurable " : "write ") + r[0] + "+" + r[1];
                    await(fua ? volume.writeDurable(r[0], ByteBuffer.wrap(data)) : volume.write(r[0], ByteBuffer.wrap(data)));
                    model.accept(new VolumeModel.Op(VolumeModel.Op.WRITE, r[0], data, r[1]));
                    if (fua) {
                        model.flushed();
                    }
                } else if (dice < 48) {
                    long[] r = range(rnd);
                    op = "writeZeroes " + r[0] + "+" + r[1];
                    await(volume.writeZeroes(r[0], r[1]));
                    model.accept(new VolumeModel.Op(VolumeModel.Op.ZERO, r[0], null, r[1]));
                } else if (dice < 56) {
                    long[] r = range(rnd);
                    op = "trim " + r[0] + "+" + r[1];
                    await(volume.trim(r[0], r[1]));
                    model.accept(new VolumeModel.Op(VolumeModel.Op.TRIM, r[0], null, r[1]));
                } else if (dice < 64) {
                    op = "flush";
                    await(volume.flush());
                    model.flushed();
                } else if (dice < 86) {
                    long[] r = range(rnd);
                    op = "read " + r[0] + "+" + r[1];
                    ByteBuffer got = ByteBuffer.allocate((int) r[1]);
                    await(volume.read(r[0], got));
                    byte[] expected = java.util.Arrays.copyOfRange(model.current(), (int) r[0], (int) (r[0] + r[1]));
                    assertArrayEquals(expected, got.array(), "read differs");
                } else if (dice < 91) {
                    long[] r = range(rnd);
                    op = "blockStatus " + r[0] + "+" + r[1];
                    checkBlockStatus(await(volume.blockStatus(r[0], r[1])), r[0], r[1], model.current());
                } else if (dice < 97 && !Boolean.getBoolean("hyperfile.model.no-crash")) {
                    op = "crash and reopen (" + model.tailSize() + " mutations since the last flush)";
                    volume.abort();
                    volume = await(Volume.open(store, "v", "model", config()));
                    model.reconcileAfterCrash(readAll(volume), "seed " + seed + " step " + step);
                } else {
                    op = "close and reopen";
                    await(volume.close());
                    model.flushed();
                    volume = await(Volume.open(store, "v", "model", config()));
                    assertArrayEquals(model.current(), readAll(volume), "after a clean close");
                }
            }
            op = "final flush, crash and reopen";
            await(volume.flush());
            model.flushed();
            volume.abort();
            volume = await(Volume.open(store, "v", "model", config()));
            assertArrayEquals(model.current(), readAll(volume), "after the final flush");
        } catch (Throwable t) {
            throw new AssertionError("seed " + seed + " failed at step " + step + " (" + op + "): " + t, t);
        } finally {
            volume.abort();
        }
    }

    /** A random byte range: often block-aligned, sizes 1 B to 4 MiB, mostly small. */
    static long[] range(Random rnd) {
        int size;
        int dice = rnd.nextInt(100);
        if (dice < 60) {
            size = 1 + rnd.nextInt(4 * BLOCK);
        } else if (dice < 95) {
            size = 1 + rnd.nextInt(64 << 10);
        } else {
            size = 1 + rnd.nextInt(4 << 20);
        }
        long offset = rnd.nextInt(SIZE - size + 1);
        if (rnd.nextBoolean()) {
            offset = offset / BLOCK * BLOCK;
            size = Math.max(BLOCK, size / BLOCK * BLOCK);
            if (offset + size > SIZE) {
                offset = SIZE - size;
            }
        }
        return new long[] {offset, size};
    }

    static byte[] readAll(Volume volume) {
        ByteBuffer all = ByteBuffer.allocate(SIZE);
        await(volume.read(0, all));
        return all.array();
    }

    static void checkBlockStatus(List<BlockStatusRun> runs, long offset, long length, byte[] model) {
        long at = offset;
        for (BlockStatusRun run : runs) {
            assertEquals(at, run.offset(), "runs must be contiguous: " + runs);
            assertTrue(run.length() > 0, "empty run: " + runs);
            if (run.kind() != ExtentKind.DATA) {
                for (long i = run.offset(); i < run.offset() + run.length(); i++) {
                    if (model[(int) i] != 0) {
                        throw new AssertionError(run.kind() + " reported for non-zero byte " + i + ": " + runs);
                    }
                }
            }
            at += run.length();
        }
        assertEquals(offset + length, at, "runs must cover the range: " + runs);
    }
}
