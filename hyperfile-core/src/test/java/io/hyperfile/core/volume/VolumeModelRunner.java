package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.encoding.SegmentEncoding;
import io.hyperfile.core.gc.GarbageCollector;
import io.hyperfile.core.gc.GcConfig;
import io.hyperfile.core.gc.GcPassReport;
import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * Runs a seeded random sequence of write / write-zeroes / trim / flush / read / block status / crash-and-reopen /
 * close-and-reopen against a {@link VolumeModel}, on any store. On failure the error names the seed, the step
 * and the operation. {@code -Dhyperfile.model.trace=true} prints every step.
 */
final class VolumeModelRunner {
    final int size;
    final int block;
    final int segmentTarget;
    final int nodeBytes;
    /** Largest single request, in bytes. */
    final int maxIo;
    /** Garbage collection passes run in the background while the operations go on (docs/GC.md). */
    final boolean gc;
    /** How the volume's segments store data (docs/ENCODING.md). */
    final SegmentEncoding encoding;
    /** Segment uploads in flight at once (docs/FORMAT.md, "Finding the newest checkpoint"). */
    final int uploadParallelism;

    VolumeModelRunner(int size, int block, int segmentTarget, int nodeBytes, int maxIo) {
        this(size, block, segmentTarget, nodeBytes, maxIo, false, SegmentEncoding.NONE,
                VolumeConfig.DEFAULT.uploadParallelism());
    }

    private VolumeModelRunner(int size, int block, int segmentTarget, int nodeBytes, int maxIo, boolean gc,
            SegmentEncoding encoding, int uploadParallelism) {
        this.uploadParallelism = uploadParallelism;
        this.size = size;
        this.block = block;
        this.segmentTarget = segmentTarget;
        this.nodeBytes = nodeBytes;
        this.maxIo = maxIo;
        this.gc = gc;
        this.encoding = encoding;
    }

    /** The same runner with garbage collection passes started now and then, concurrent with the operations. */
    VolumeModelRunner withGc() {
        return new VolumeModelRunner(size, block, segmentTarget, nodeBytes, maxIo, true, encoding, uploadParallelism);
    }

    /** The same runner on a volume created with {@code e}. */
    VolumeModelRunner withEncoding(SegmentEncoding e) {
        return new VolumeModelRunner(size, block, segmentTarget, nodeBytes, maxIo, gc, e, uploadParallelism);
    }

    /** The same runner with {@code n} segment uploads in flight at once. */
    VolumeModelRunner withUploadParallelism(int n) {
        return new VolumeModelRunner(size, block, segmentTarget, nodeBytes, maxIo, gc, encoding, n);
    }

    /**
     * Fills {@code data} with random bytes half of the time, otherwise with data that compresses (a short random
     * pattern repeated, with some bytes changed), so that encoded volumes store both raw and compressed frames.
     */
    static void fill(Random rnd, byte[] data) {
        if (rnd.nextBoolean()) {
            fill(rnd, data);
            return;
        }
        byte[] pattern = new byte[1 + rnd.nextInt(64)];
        rnd.nextBytes(pattern);
        for (int i = 0; i < data.length; i++) {
            data[i] = rnd.nextInt(50) == 0 ? (byte) rnd.nextInt() : pattern[i % pattern.length];
        }
    }

    private static final GcConfig GC = GcConfig.DEFAULT.withGrace(Duration.ZERO).withCompactBelow(0.8)
            .withMinGarbageRatio(0).withRateBytesPerSecond(0).withRateRequestsPerSecond(0);

    VolumeConfig config() {
        return VolumeConfig.builder().flushAge(Duration.ofHours(1)).dirtyLimitBytes(8L * segmentTarget)
                .nodeCacheBytes(64 << 10).uploadParallelism(uploadParallelism).build();
    }

    /** What the garbage collection passes of a run did. */
    record GcTotals(int passes, long deletedSegments, long movedBlocks, int tableChecks, long readDefragBytes) {
    }

    /** Runs {@code steps} steps of seed {@code seed} on a new volume under {@code prefix} of {@code store}. */
    GcTotals run(ObjectStore store, String prefix, long seed, int steps) {
        await(Volume.create(store, prefix, new VolumeOptions(size, block, segmentTarget, nodeBytes, encoding), Clock.systemUTC()));
        Volume volume = await(Volume.open(store, prefix, "model", config()));
        Random rnd = new Random(seed);
        VolumeModel model = new VolumeModel(size, block);
        int step = 0;
        String op = "";
        CompletableFuture<GcPassReport> pass = null;
        GarbageCollector collector = null;
        int passes = 0;
        long deleted = 0;
        long moved = 0;
        int checked = 0;
        long defragged = 0;
        try {
            for (step = 0; step < steps; step++) {
                if (Boolean.getBoolean("hyperfile.model.trace") && !op.isEmpty()) {
                    System.err.println("step " + (step - 1) + ": " + op);
                }
                if (pass != null && pass.isDone()) {
                    GcPassReport r = await(pass); // a pass of a live volume must not fail
                    assertTrue(r.skipped() == null || !r.skipped().contains("problems"), r.summary());
                    assertEquals(List.of(), r.tableDifferences(), "the live table agrees with the walk");
                    checked += r.tableChecked() ? 1 : 0;
                    pass = null;
                    passes++;
                    deleted += r.deletedSegments().size();
                    moved += r.movedBlocks();
                }
                if (gc && pass == null && rnd.nextInt(25) == 0) {
                    if (collector == null) { // one per opened volume: it carries the live table from pass to pass
                        collector = new GarbageCollector(store, prefix, volume, GC, Clock.systemUTC(), RetryScheduler.system());
                    }
                    if (rnd.nextInt(3) == 0) {
                        collector.requestCheck(); // most passes plan from the table; this one checks it
                    }
                    pass = collector.runPass(false, line -> { });
                }
                int dice = rnd.nextInt(100);
                if (dice < 40) {
                    long[] r = range(rnd);
                    byte[] data = new byte[(int) r[1]];
                    fill(rnd, data);
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
                    pass = settle(pass); // the process died with its pass
                    defragged += volume.stats().readDefragBytes();
                    volume = await(Volume.open(store, prefix, "model", config()));
                    collector = null;
                    model.reconcileAfterCrash(readAll(volume), "seed " + seed + " step " + step);
                } else {
                    op = "close and reopen";
                    if (pass != null) {
                        await(pass);
                        pass = null;
                        passes++;
                    }
                    await(volume.close());
                    model.flushed();
                    defragged += volume.stats().readDefragBytes();
                    volume = await(Volume.open(store, prefix, "model", config()));
                    collector = null;
                    assertArrayEquals(model.current(), readAll(volume), "after a clean close");
                }
            }
            op = "final flush, crash and reopen";
            if (pass != null) {
                await(pass);
                passes++;
            }
            await(volume.flush());
            model.flushed();
            volume.abort();
            defragged += volume.stats().readDefragBytes();
            volume = await(Volume.open(store, prefix, "model", config()));
            assertArrayEquals(model.current(), readAll(volume), "after the final flush");
            if (gc) {
                op = "last passes";
                collector = new GarbageCollector(store, prefix, volume, GC, Clock.systemUTC(), RetryScheduler.system());
                await(collector.runPass(false, line -> { })); // starts the live table
                for (int i = 0; i < 40; i++) { // then writes, zeroes and trims it must follow
                    long[] r = range(rnd);
                    if (i % 4 == 0) {
                        await(volume.trim(r[0], r[1]));
                        model.accept(new VolumeModel.Op(VolumeModel.Op.TRIM, r[0], null, r[1]));
                    } else if (i % 4 == 1) {
                        await(volume.writeZeroes(r[0], r[1]));
                        model.accept(new VolumeModel.Op(VolumeModel.Op.ZERO, r[0], null, r[1]));
                    } else {
                        byte[] data = new byte[(int) r[1]];
                        fill(rnd, data);
                        await(volume.write(r[0], ByteBuffer.wrap(data)));
                        model.accept(new VolumeModel.Op(VolumeModel.Op.WRITE, r[0], data, r[1]));
                    }
                    if (i % 10 == 9) {
                        await(volume.flush());
                    }
                }
                // one segment of eight blocks of which one stays live: whatever the random steps did, this pass
                // has a victim with data to move
                byte[] segment = new byte[8 * block];
                fill(rnd, segment);
                await(volume.write(0, ByteBuffer.wrap(segment)));
                model.accept(new VolumeModel.Op(VolumeModel.Op.WRITE, 0, segment, segment.length));
                await(volume.flush());
                byte[] over = new byte[7 * block];
                fill(rnd, over);
                await(volume.write(block, ByteBuffer.wrap(over)));
                model.accept(new VolumeModel.Op(VolumeModel.Op.WRITE, block, over, over.length));
                await(volume.flush());
                GcPassReport fromTable = await(collector.runPass(false, line -> { }));
                model.flushed();
                assertTrue(fromTable.fromTable(), "the pass after a walk plans from the table: " + fromTable.summary());
                assertTrue(fromTable.movedBlocks() > 0, "the pass moved the live block of a mostly dead segment: "
                        + fromTable.summary());
                deleted += fromTable.deletedSegments().size();
                moved += fromTable.movedBlocks();
                assertArrayEquals(model.current(), readAll(volume), "after a pass planned from the table");
                collector.requestCheck();
                GcPassReport last = await(collector.runPass(false, line -> { }));
                assertTrue(last.before().isComplete(), "every object the checkpoints reach exists: " + last.before().problems());
                assertTrue(last.tableChecked(), last.summary());
                assertEquals(List.of(), last.tableDifferences(), "the live table agrees with the walk");
                assertArrayEquals(model.current(), readAll(volume), "after the last passes");
                passes += 3;
                checked++;
                deleted += last.deletedSegments().size();
                moved += last.movedBlocks();
            }
            return new GcTotals(passes, deleted, moved, checked, defragged + volume.stats().readDefragBytes());
        } catch (Throwable t) {
            throw new AssertionError("seed " + seed + " failed at step " + step + " (" + op + "): " + t, t);
        } finally {
            volume.abort();
        }
    }

    /** Waits for a pass whose volume crashed; its outcome does not matter, only that it stops. */
    private static CompletableFuture<GcPassReport> settle(CompletableFuture<GcPassReport> pass) {
        if (pass != null) {
            await(pass.handle((r, e) -> r));
        }
        return null;
    }

    /** A random byte range: often block-aligned, sizes 1 B to {@link #maxIo}, mostly small. */
    long[] range(Random rnd) {
        int sz;
        int dice = rnd.nextInt(100);
        if (dice < 60) {
            sz = 1 + rnd.nextInt(4 * block);
        } else if (dice < 95) {
            sz = 1 + rnd.nextInt(Math.min(maxIo, 64 << 10));
        } else {
            sz = 1 + rnd.nextInt(maxIo);
        }
        long offset = rnd.nextInt(size - sz + 1);
        if (rnd.nextBoolean()) {
            offset = offset / block * block;
            sz = Math.max(block, sz / block * block);
            if (offset + sz > size) {
                offset = size - sz;
            }
        }
        return new long[] {offset, sz};
    }

    byte[] readAll(Volume volume) {
        ByteBuffer all = ByteBuffer.allocate(size);
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
